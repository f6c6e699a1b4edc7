"""PEP 517 build backend for the `vastleaks` pre-commit hook (standard library only).

pre-commit installs a `language: python` hook with `pip install .` in the hook's
repository. Building vastleaks there would need Rust and minutes; instead this
backend builds, in milliseconds, an empty package `vastleaks-pre-commit` that
depends on `vastleaks-bin` of the same version: the prebuilt binary wheel that
the release workflow publishes (scripts/package.py). pip then installs that
wheel, which puts `vastleaks` on the hook's PATH. Being in-tree and
dependency-free, the backend needs nothing from the network but the wheel.
"""

import base64
import hashlib
import re
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent
NAME = "vastleaks_pre_commit"


def _version():
    text = (ROOT / "Cargo.toml").read_text(encoding="utf-8")
    return re.search(r'^version = "([^"]+)"$', text, re.M).group(1)


def _metadata(version):
    return (
        "Metadata-Version: 2.1\n"
        "Name: vastleaks-pre-commit\n"
        f"Version: {version}\n"
        "Summary: Installs the vastleaks binary wheel for the pre-commit hook\n"
        "License: MIT OR Apache-2.0\n"
        f"Requires-Dist: vastleaks-bin=={version}\n"
    )


def _hash(data):
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=")
    return "sha256=" + digest.decode()


def get_requires_for_build_wheel(config_settings=None):
    return []


def prepare_metadata_for_build_wheel(metadata_directory, config_settings=None):
    dist_info = Path(metadata_directory) / f"{NAME}-{_version()}.dist-info"
    dist_info.mkdir(parents=True, exist_ok=True)
    (dist_info / "METADATA").write_text(_metadata(_version()))
    return dist_info.name


def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
    version = _version()
    dist_info = f"{NAME}-{version}.dist-info"
    files = {
        f"{dist_info}/METADATA": _metadata(version).encode(),
        f"{dist_info}/WHEEL": (
            "Wheel-Version: 1.0\nGenerator: vastleaks_hook_backend\n"
            "Root-Is-Purelib: true\nTag: py3-none-any\n"
        ).encode(),
    }
    record = "".join(f"{path},{_hash(data)},{len(data)}\n" for path, data in files.items())
    files[f"{dist_info}/RECORD"] = (record + f"{dist_info}/RECORD,,\n").encode()
    name = f"{NAME}-{version}-py3-none-any.whl"
    with zipfile.ZipFile(Path(wheel_directory) / name, "w") as wheel:
        for path, data in files.items():
            wheel.writestr(path, data)
    return name
