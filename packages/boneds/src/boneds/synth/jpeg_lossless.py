"""A small encoder for DICOM's JPEG Lossless, Non-Hierarchical, First-Order Prediction
(Process 14, Selection Value 1; transfer syntax 1.2.840.10008.1.2.4.70), the syntax most PACS use
for radiographs. pydicom ships no encoder for it, so the synthetic export brings its own
(ITU T.81 Annex H: predictor 1, point transform 0, one optimised Huffman table), vectorised with
numpy. Decoders (pylibjpeg-libjpeg, GDCM) read its output like any other lossless JPEG.
"""

from __future__ import annotations

import heapq

import numpy as np

N_CATEGORIES = 17  # difference magnitude categories SSSS = 0..16


def _differences(image: np.ndarray, precision: int) -> np.ndarray:
    """Prediction differences (mod 2^16, as signed values): left neighbour, above on the first column."""
    x = image.astype(np.int64)
    pred = np.empty_like(x)
    pred[:, 1:] = x[:, :-1]
    pred[1:, 0] = x[:-1, 0]
    pred[0, 0] = 1 << (precision - 1)
    diff = (x - pred) % 65536
    return np.where(diff > 32768, diff - 65536, diff).ravel()


def _categories(diff: np.ndarray) -> np.ndarray:
    magnitude = np.abs(diff)
    cat = np.zeros(magnitude.shape, dtype=np.int64)
    nonzero = magnitude > 0
    cat[nonzero] = np.floor(np.log2(magnitude[nonzero])).astype(np.int64) + 1
    return cat


def _code_lengths(freq: np.ndarray) -> np.ndarray:
    """Huffman code lengths (<= 16) for the 17 categories; a reserved symbol keeps the all-ones code free."""
    counts = [int(f) for f in freq] + [1]  # the reserved symbol (T.81 K.2)
    heap = [(c, i, (i,)) for i, c in enumerate(counts) if c > 0]
    heapq.heapify(heap)
    lengths = np.zeros(len(counts), dtype=np.int64)
    if len(heap) == 1:
        lengths[heap[0][2][0]] = 1
    tiebreak = len(counts)
    while len(heap) > 1:
        c1, _, s1 = heapq.heappop(heap)
        c2, _, s2 = heapq.heappop(heap)
        for s in s1 + s2:
            lengths[s] += 1
        heapq.heappush(heap, (c1 + c2, tiebreak, s1 + s2))
        tiebreak += 1
    while lengths.max() > 16:  # rebalance over-long codes (rare with 18 symbols)
        deepest = int(np.argmax(lengths))
        lengths[deepest] -= 1
        shallow = np.where((lengths > 0) & (lengths < lengths[deepest]))[0]
        lengths[shallow[np.argmax(lengths[shallow])]] += 1
    # The reserved symbol must hold the longest length: it is last in canonical order and so takes
    # the all-ones code, which T.81 forbids for real symbols.
    reserved = len(counts) - 1
    longest = int(np.argmax(lengths))
    lengths[reserved], lengths[longest] = lengths[longest], lengths[reserved]
    return lengths


def _canonical_codes(lengths: np.ndarray) -> tuple[np.ndarray, list[int], list[int]]:
    """Canonical codes per symbol, the DHT BITS counts and HUFFVAL order (reserved symbol excluded)."""
    order = sorted((int(n), s) for s, n in enumerate(lengths) if n > 0)
    codes = np.zeros(len(lengths), dtype=np.int64)
    code, previous = 0, order[0][0]
    bits = [0] * 16
    values = []
    for length, symbol in order:
        code <<= length - previous
        previous = length
        codes[symbol] = code
        code += 1
        if symbol < N_CATEGORIES:
            bits[length - 1] += 1
            values.append(symbol)
    return codes, bits, values


def _pack(values: np.ndarray, lengths: np.ndarray) -> bytes:
    """Concatenate variable-length bit fields (<= 32 bits) MSB first, pad with ones, stuff 0x00 after 0xFF."""
    aligned = (values.astype(np.uint64) << (32 - lengths).astype(np.uint64)).astype(">u4")
    bits = np.unpackbits(aligned.view(np.uint8).reshape(-1, 4), axis=1)
    stream = bits[np.arange(32) < lengths[:, None]]  # row-major: field after field, MSB first
    pad = (-stream.size) % 8
    packed = np.packbits(np.concatenate([stream, np.ones(pad, dtype=np.uint8)]))
    ff = np.flatnonzero(packed == 0xFF)
    return np.insert(packed, ff + 1, 0).tobytes()


def encode_jpeg_lossless(image: np.ndarray, precision: int) -> bytes:
    """Encode a 2-D unsigned image (values < 2**precision, precision 2..16) as a lossless JPEG."""
    if image.ndim != 2 or not 2 <= precision <= 16:
        raise ValueError("need a 2-D image and a precision of 2 to 16 bits")
    rows, columns = image.shape
    diff = _differences(image, precision)
    cat = _categories(diff)
    lengths = _code_lengths(np.bincount(cat, minlength=N_CATEGORIES))
    codes, bits, huffval = _canonical_codes(lengths)
    extra = np.where(diff < 0, diff - 1, diff) & ((np.int64(1) << cat) - 1)
    extra = np.where(cat == 16, 0, extra)  # category 16 (difference 32768) carries no extra bits
    extra_len = np.where(cat == 16, 0, cat)
    fields = (codes[cat] << extra_len) | extra
    scan = _pack(fields, lengths[cat] + extra_len)

    sof = bytes([0xFF, 0xC3, 0, 11, precision]) + rows.to_bytes(2, "big") + columns.to_bytes(2, "big") + bytes([1, 1, 0x11, 0])
    table = bytes([0x00]) + bytes(bits) + bytes(huffval)
    dht = bytes([0xFF, 0xC4]) + (len(table) + 2).to_bytes(2, "big") + table
    sos = bytes([0xFF, 0xDA, 0, 8, 1, 1, 0x00, 1, 0, 0])  # predictor 1, point transform 0
    return b"\xff\xd8" + sof + dht + sos + scan + b"\xff\xd9"
