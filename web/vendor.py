"""Reproduce the console's vendored JavaScript libraries and map data from the npm registry.

    python web/vendor.py            # npm pack each pinned package, check sha256, write the files
    python web/vendor.py --check    # only check the files in web/static/vendor (no network)
    python web/vendor.py --update   # after changing a pin: write the files and a new SHA256SUMS

Every file under ``web/static/vendor/`` comes from a pinned package (``npm pack NAME@VERSION``)
and its sha256 is listed in ``web/static/vendor/SHA256SUMS``; a file that differs is refused.
Each library keeps its LICENSE beside it. Nothing is fetched by the browser from elsewhere.
"""

from __future__ import annotations

import argparse
import hashlib
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

VENDOR = Path(__file__).resolve().parent / "static" / "vendor"
SUMS = VENDOR / "SHA256SUMS"

# npm package -> {file in the package: file under web/static/vendor}
PACKAGES: dict[str, dict[str, str]] = {
    "leaflet@1.9.4": {
        "LICENSE": "leaflet/LICENSE",
        "dist/leaflet.js": "leaflet/leaflet.js",
        "dist/leaflet.css": "leaflet/leaflet.css",
        **{f"dist/images/{name}": f"leaflet/images/{name}" for name in (
            "layers.png", "layers-2x.png", "marker-icon.png", "marker-icon-2x.png",
            "marker-shadow.png")},
    },
    "topojson-client@3.1.0": {
        "LICENSE": "topojson-client/LICENSE",
        "dist/topojson-client.min.js": "topojson-client/topojson-client.min.js",
    },
    "swagger-ui-dist@5.35.0": {  # the API docs page (/docs)
        "LICENSE": "swagger-ui/LICENSE",
        "NOTICE": "swagger-ui/NOTICE",
        "swagger-ui-bundle.js": "swagger-ui/swagger-ui-bundle.js",
        "swagger-ui.css": "swagger-ui/swagger-ui.css",
        "favicon-32x32.png": "swagger-ui/favicon-32x32.png",
    },
    "world-atlas@2.0.2": {  # Natural Earth 1:110m country outlines (TopoJSON)
        "LICENSE": "world-atlas/LICENSE",
        "countries-110m.json": "world-atlas/countries-110m.json",
    },
}


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def read_sums(path: Path = SUMS) -> dict[str, str]:
    """``{relative path: sha256}`` from a ``sha256sum``-style file."""
    sums = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            digest, name = line.split(maxsplit=1)
            sums[name.strip()] = digest
    return sums


def check(vendor: Path = VENDOR) -> list[str]:
    """Problems with the vendored files: missing, changed or unlisted ones."""
    sums = read_sums(vendor / "SHA256SUMS")
    problems = []
    for name, digest in sorted(sums.items()):
        path = vendor / name
        if not path.is_file():
            problems.append(f"{name}: missing")
        elif sha256(path.read_bytes()) != digest:
            problems.append(f"{name}: sha256 differs from SHA256SUMS")
    present = {p.relative_to(vendor).as_posix() for p in vendor.rglob("*") if p.is_file()}
    for name in sorted(present - set(sums) - {"SHA256SUMS"}):
        problems.append(f"{name}: not listed in SHA256SUMS")
    return problems


def fetch(spec: str, workdir: Path) -> dict[str, bytes]:
    """The wanted files of one package, from ``npm pack`` (npm checks the registry integrity)."""
    out = subprocess.run(
        ["npm", "pack", spec, "--silent", "--pack-destination", str(workdir)],
        cwd=workdir, capture_output=True, text=True, check=False,
    )
    if out.returncode != 0:
        raise SystemExit(f"npm pack {spec} failed: {out.stderr.strip()[-500:]}")
    tarball = workdir / out.stdout.strip().splitlines()[-1]
    files = {}
    with tarfile.open(tarball, "r:gz") as tar:
        for inner in PACKAGES[spec]:
            member = tar.extractfile(f"package/{inner}")
            if member is None:
                raise SystemExit(f"{spec}: {inner} is not a file in the package")
            files[inner] = member.read()
    return files


def vendor(*, update: bool) -> int:
    sums = {} if update else read_sums()
    written: dict[str, str] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for spec, files in PACKAGES.items():
            data = fetch(spec, Path(tmp))
            for inner, target in files.items():
                digest = sha256(data[inner])
                if not update and sums.get(target) != digest:
                    print(f"{spec} {inner}: sha256 {digest} not the listed"
                          f" {sums.get(target)}", file=sys.stderr)
                    return 1
                path = VENDOR / target
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_bytes(data[inner])
                written[target] = digest
                print(f"{digest}  {target}  ({spec})")
    if update:
        lines = [f"{digest}  {name}" for name, digest in sorted(written.items())]
        SUMS.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--check", action="store_true", help="only check the vendored files")
    parser.add_argument("--update", action="store_true", help="write a new SHA256SUMS")
    args = parser.parse_args(argv)
    if args.check:
        problems = check()
        for problem in problems:
            print(problem, file=sys.stderr)
        print("vendored files: " + ("ok" if not problems else f"{len(problems)} problem(s)"))
        return 1 if problems else 0
    return vendor(update=args.update)


if __name__ == "__main__":
    sys.exit(main())
