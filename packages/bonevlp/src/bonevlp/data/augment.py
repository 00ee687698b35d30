"""Image transforms: PIL image (any mode; a JPEG not yet loaded is decoded at reduced scale when that
loses nothing) -> normalised float tensor [3, S, S].

Every operation runs on the one-channel ("L") image; the channel is repeated to three only by the
final normalisation (one broadcast), so ImageNet-style encoders take it at a third of the work.

    train_transform(224, mean, std)   the authors' ConVIRT-style augmentation (`ConvirtParams`)
    eval_transform(224, mean, std)    letterbox: the whole radiograph, aspect kept, black borders

`transform.augment(image, rng)` gives the L image before normalisation and `transform.normalise(image,
out)` writes it into a tensor: the loader normalises straight into the batch tensor. Random draws come from a `random.Random` passed to the call (the loader passes one seeded per seed,
epoch, rank and worker), else from the `random` module.
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch
import torchvision.transforms.functional as TF  # noqa: N812 - the usual name
from PIL import Image, ImageEnhance, ImageFilter
from PIL.JpegImagePlugin import JpegImageFile


@dataclass(frozen=True)
class ConvirtParams:
    """The ConVIRT augmentation set (Zhang et al. 2022, section 3): random crop of 60-100 % of the area,
    horizontal flip, affine transform (rotation +-20 degrees, translation up to 10 %, scale 0.95-1.05),
    brightness and contrast factors in [0.6, 1.4], Gaussian blur with sigma in [0.1, 3.0]."""

    crop_scale: tuple[float, float] = (0.6, 1.0)
    crop_ratio: tuple[float, float] = (3 / 4, 4 / 3)
    flip_p: float = 0.5
    degrees: float = 20.0
    translate: float = 0.1
    scale: tuple[float, float] = (0.95, 1.05)
    brightness: float = 0.4
    contrast: float = 0.4
    blur_p: float = 0.5
    blur_sigma: tuple[float, float] = (0.1, 3.0)


def _undecoded_jpeg(image: Image.Image) -> bool:
    return isinstance(image, JpegImageFile) and bool(image.tile)  # tile empties once decoded


def _gray(image: Image.Image, min_size: tuple[int, int] | None) -> Image.Image:
    """The image in mode L. A JPEG not yet decoded is decoded at the smallest DCT scale (1/2, 1/4, 1/8)
    that keeps it at least `min_size` (width, height): the same pixels a resize would give, faster."""
    if min_size is not None and _undecoded_jpeg(image):
        image.draft("L", min_size)
    return image if image.mode == "L" else image.convert("L")


class _Normalise:
    """uint8 L image -> float32 [3, H, W]: (x / 255 - mean[c]) / std[c] for each channel c (numpy, so no
    torch thread pool: as fast in a worker as in the main process)."""

    def __init__(self, mean: Sequence[float], std: Sequence[float]) -> None:
        mean_a, std_a = np.asarray(mean, dtype=np.float64).reshape(-1), np.asarray(std, dtype=np.float64).reshape(-1)
        if mean_a.size not in (1, 3) or std_a.size not in (1, 3) or np.any(std_a <= 0):
            raise ValueError("mean and std need 1 or 3 values each, std > 0")
        mean_a, std_a = np.broadcast_to(mean_a, (3,)), np.broadcast_to(std_a, (3,))
        self.scale = (1.0 / (255.0 * std_a)).astype(np.float32).reshape(3, 1, 1)
        self.offset = (-mean_a / std_a).astype(np.float32).reshape(3, 1, 1)

    def __call__(self, image: Image.Image, out: torch.Tensor | None = None) -> torch.Tensor:
        """The normalised image, written into `out` (float32 [3, H, W], contiguous) when given."""
        pixels = np.asarray(image, dtype=np.uint8)
        if out is None:
            out = torch.empty((3, *pixels.shape), dtype=torch.float32)
        target = out.numpy()
        np.multiply(pixels[None], self.scale, out=target)
        target += self.offset
        return out


class TrainTransform:
    """The ConVIRT-style augmentation on the grayscale image, then 3-channel normalisation."""

    def __init__(self, image_size: int, mean: Sequence[float], std: Sequence[float],
                 params: ConvirtParams | None = None) -> None:
        self.image_size = int(image_size)
        self.params = params or ConvirtParams()
        self.normalise = _Normalise(mean, std)

    def draft_size(self, width: int, height: int) -> tuple[int, int]:
        """Smallest decoded size whose smallest possible crop still holds `image_size` pixels a side."""
        p = self.params
        side = math.sqrt(p.crop_scale[0] * min(p.crop_ratio[0], 1 / p.crop_ratio[1]))  # of the shorter side
        factor = self.image_size / (side * min(width, height))
        return math.ceil(width * factor), math.ceil(height * factor)

    def crop_box(self, width: int, height: int, rng) -> tuple[int, int, int, int]:
        """torchvision's RandomResizedCrop box (left, top, right, bottom), drawn with `rng`."""
        p = self.params
        area = width * height
        log_ratio = (math.log(p.crop_ratio[0]), math.log(p.crop_ratio[1]))
        for _ in range(10):
            target = area * rng.uniform(*p.crop_scale)
            ratio = math.exp(rng.uniform(*log_ratio))
            w = round(math.sqrt(target * ratio))
            h = round(math.sqrt(target / ratio))
            if 0 < w <= width and 0 < h <= height:
                left, top = rng.randint(0, width - w), rng.randint(0, height - h)
                return left, top, left + w, top + h
        in_ratio = width / height  # fallback: the central crop of the allowed aspect ratio
        if in_ratio < p.crop_ratio[0]:
            w, h = width, round(width / p.crop_ratio[0])
        elif in_ratio > p.crop_ratio[1]:
            w, h = round(height * p.crop_ratio[1]), height
        else:
            w, h = width, height
        left, top = (width - w) // 2, (height - h) // 2
        return left, top, left + w, top + h

    def __call__(self, image: Image.Image, rng: random.Random | None = None) -> torch.Tensor:
        return self.normalise(self.augment(image, rng))

    def augment(self, image: Image.Image, rng: random.Random | None = None) -> Image.Image:
        """The augmented image, mode L, image_size x image_size, before normalisation."""
        rng = rng or random
        p, size = self.params, self.image_size
        image = _gray(image, self.draft_size(*image.size))
        image = image.resize((size, size), Image.Resampling.BILINEAR, box=self.crop_box(*image.size, rng))
        if rng.random() < p.flip_p:
            image = image.transpose(Image.Transpose.FLIP_LEFT_RIGHT)
        shift = p.translate * size
        image = TF.affine(image, angle=rng.uniform(-p.degrees, p.degrees),
                          translate=[round(rng.uniform(-shift, shift)), round(rng.uniform(-shift, shift))],
                          scale=rng.uniform(*p.scale), shear=[0.0, 0.0],
                          interpolation=TF.InterpolationMode.BILINEAR, fill=0)
        enhancers = [(ImageEnhance.Brightness, p.brightness), (ImageEnhance.Contrast, p.contrast)]
        rng.shuffle(enhancers)  # ColorJitter's random order
        for enhancer, amount in enhancers:
            if amount > 0:
                image = enhancer(image).enhance(rng.uniform(max(0.0, 1 - amount), 1 + amount))
        if rng.random() < p.blur_p:
            image = image.filter(ImageFilter.GaussianBlur(rng.uniform(*p.blur_sigma)))
        return image


class EvalTransform:
    """Letterbox: the whole image scaled so its long side is `image_size` (aspect ratio kept), centred
    on a black square, then 3-channel normalisation. Deterministic."""

    def __init__(self, image_size: int, mean: Sequence[float], std: Sequence[float]) -> None:
        self.image_size = int(image_size)
        self.normalise = _Normalise(mean, std)

    def fitted_size(self, width: int, height: int) -> tuple[int, int]:
        scale = self.image_size / max(width, height)
        return max(1, round(width * scale)), max(1, round(height * scale))

    def __call__(self, image: Image.Image, rng: random.Random | None = None) -> torch.Tensor:
        return self.normalise(self.augment(image, rng))

    def augment(self, image: Image.Image, rng: random.Random | None = None) -> Image.Image:
        """The letterboxed image, mode L, image_size x image_size, before normalisation (`rng` unused)."""
        image = _gray(image, self.fitted_size(*image.size))
        size = self.image_size
        width, height = self.fitted_size(*image.size)
        if (width, height) != image.size:
            image = image.resize((width, height), Image.Resampling.BILINEAR)
        if (width, height) != (size, size):
            canvas = Image.new("L", (size, size), 0)
            canvas.paste(image, ((size - width) // 2, (size - height) // 2))
            image = canvas
        return image


def train_transform(image_size: int, mean: Sequence[float], std: Sequence[float],
                    params: ConvirtParams | None = None) -> TrainTransform:
    """The training transform: ConVIRT-style augmentation (`ConvirtParams`) on the grayscale image,
    output float32 [3, image_size, image_size] normalised with `mean`/`std` (1 or 3 values each).
    Call it as `transform(image)` or `transform(image, rng)`."""
    return TrainTransform(image_size, mean, std, params)


def eval_transform(image_size: int, mean: Sequence[float], std: Sequence[float]) -> EvalTransform:
    """The evaluation transform: letterbox (whole radiograph kept, black borders), output float32
    [3, image_size, image_size] normalised with `mean`/`std`."""
    return EvalTransform(image_size, mean, std)
