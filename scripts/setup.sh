#!/usr/bin/env bash
# Creates .venv at the repository root (when missing) and installs the three packages editable,
# with every dependency, through constraints.txt. Installs the system packages the project needs
# (Tesseract OCR with French, used by frdeid's burned-in text screening) where apt-get is usable.
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON="${PYTHON:-python3}"
VENV=".venv"

install_system_packages() {
    if command -v tesseract >/dev/null 2>&1 && tesseract --list-langs 2>/dev/null | grep -qx fra; then
        return 0
    fi
    if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
        echo "setup: installing tesseract-ocr and tesseract-ocr-fra with apt-get"
        apt-get update -qq >/dev/null
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq tesseract-ocr tesseract-ocr-fra >/dev/null
    else
        echo "setup: WARNING: tesseract-ocr (with French) is missing and cannot be installed here;" >&2
        echo "setup: install tesseract-ocr and tesseract-ocr-fra with your system's package manager." >&2
    fi
}

install_system_packages

if [ ! -x "$VENV/bin/python" ]; then
    echo "setup: creating $VENV"
    "$PYTHON" -m venv "$VENV"
fi

echo "setup: installing packages into $VENV (constraints.txt)"
"$VENV/bin/python" -m pip install --quiet --upgrade pip
"$VENV/bin/python" -m pip install --quiet -c constraints.txt \
    -e packages/frdeid -e packages/boneds -e packages/bonevlp -r requirements-dev.txt
"$VENV/bin/python" -m pip check >/dev/null || { "$VENV/bin/python" -m pip check; exit 1; }
touch "$VENV/.installed"
echo "setup: done"
