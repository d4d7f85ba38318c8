"""Fetch the scripts, styles and fonts the Great Expectations Data Docs load from public CDNs, at pinned versions,
from the npm registry, with their licences; write ``assets.json`` (CDN URL -> local file). Run from this folder:

    python vendor.py            # needs npm on PATH and the registry reachable; rewrites files/ and assets.json

The pipeline never runs this: the files it writes are committed, so the Data Docs work on a machine without network
access (``rwe_cohorts.quality.data_docs`` copies them into the site and points every page at them).
"""

from __future__ import annotations

import hashlib
import io
import json
import shutil
import subprocess
import tarfile
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
FILES = HERE / "files"

_BT = "https://unpkg.com/bootstrap-table"
_FILTER = "dist/extensions/filter-control/bootstrap-table-filter-control"

# (npm package, version, {CDN URL used by GX 1.24's Data Docs templates: file inside the package})
PACKAGES: list[tuple[str, str, dict[str, str]]] = [
    ("jquery", "3.7.1", {"https://code.jquery.com/jquery-3.7.1.min.js": "dist/jquery.min.js"}),
    (
        "bootstrap",
        "4.3.1",
        {
            "https://maxcdn.bootstrapcdn.com/bootstrap/4.3.1/css/bootstrap.min.css": "dist/css/bootstrap.min.css",
            "https://stackpath.bootstrapcdn.com/bootstrap/4.3.1/js/bootstrap.min.js": "dist/js/bootstrap.min.js",
        },
    ),
    (
        "popper.js",
        "1.12.9",
        {"https://cdnjs.cloudflare.com/ajax/libs/popper.js/1.12.9/umd/popper.min.js": "dist/umd/popper.min.js"},
    ),
    (
        "bootstrap-table",
        "1.19.1",
        {
            "https://unpkg.com/bootstrap-table@1.19.1/dist/bootstrap-table.min.css": "dist/bootstrap-table.min.css",
            "https://unpkg.com/bootstrap-table@1.19.1/dist/bootstrap-table.min.js": "dist/bootstrap-table.min.js",
            f"{_BT}@1.19.1/{_FILTER}.min.js": f"{_FILTER}.min.js",
            # GX links the filter-control styles of 1.19.0; the 1.19.1 file is served for it (same extension).
            f"{_BT}@1.19.0/{_FILTER}.min.css": f"{_FILTER}.min.css",
            f"{_BT}@1.19.0/{_FILTER}.css": f"{_FILTER}.css",
        },
    ),
    (
        "bootstrap-datepicker",
        "1.9.0",
        {
            "https://cdnjs.cloudflare.com/ajax/libs/bootstrap-datepicker/1.9.0/css/bootstrap-datepicker.min.css": (
                "dist/css/bootstrap-datepicker.min.css"
            ),
            "https://cdnjs.cloudflare.com/ajax/libs/bootstrap-datepicker/1.9.0/js/bootstrap-datepicker.min.js": (
                "dist/js/bootstrap-datepicker.min.js"
            ),
        },
    ),
    (
        "@fortawesome/fontawesome-free",
        "6.6.0",
        {"https://cdnjs.cloudflare.com/ajax/libs/font-awesome/6.6.0/css/all.min.css": "css/all.min.css"},
    ),
    (
        "@forevolve/bootstrap-dark",
        "1.1.0",
        {
            "https://cdn.jsdelivr.net/npm/@forevolve/bootstrap-dark@1.1.0/dist/css/bootstrap-prefers-dark.css": (
                "dist/css/bootstrap-prefers-dark.css"
            )
        },
    ),
    # GX asks jsDelivr for the newest of a major version; the newest at vendoring time is pinned here.
    ("vega", "5.33.1", {"https://cdn.jsdelivr.net/npm/vega@5": "build/vega.min.js"}),
    ("vega-lite", "5.23.0", {"https://cdn.jsdelivr.net/npm/vega-lite@5": "build/vega-lite.min.js"}),
    ("vega-embed", "6.29.0", {"https://cdn.jsdelivr.net/npm/vega-embed@6": "build/vega-embed.min.js"}),
]
# Loaded by all.min.css as ../webfonts/*: the woff2 files only (every browser in use reads woff2; the .ttf fallbacks
# would double the size).
EXTRA_DIRS = {"@fortawesome/fontawesome-free": ["webfonts/"]}
EXTRA_SUFFIX = ".woff2"
LICENSE_NAMES = ("LICENSE", "LICENSE.txt", "LICENSE.md")

MIT = """MIT License

Copyright (c) {holder}

Permission is hereby granted, free of charge, to any person obtaining a copy of this software and associated
documentation files (the "Software"), to deal in the Software without restriction, including without limitation the
rights to use, copy, modify, merge, publish, distribute, sublicense, and/or sell copies of the Software, and to permit
persons to whom the Software is furnished to do so, subject to the following conditions:

The above copyright notice and this permission notice shall be included in all copies or substantial portions of the
Software.

THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO THE
WARRANTIES OF MERCHANTABILITY, FITNESS FOR A PARTICULAR PURPOSE AND NONINFRINGEMENT. IN NO EVENT SHALL THE AUTHORS OR
COPYRIGHT HOLDERS BE LIABLE FOR ANY CLAIM, DAMAGES OR OTHER LIABILITY, WHETHER IN AN ACTION OF CONTRACT, TORT OR
OTHERWISE, ARISING FROM, OUT OF OR IN CONNECTION WITH THE SOFTWARE OR THE USE OR OTHER DEALINGS IN THE SOFTWARE.
"""
BSD3 = """BSD 3-Clause License

Copyright (c) {holder}
All rights reserved.

Redistribution and use in source and binary forms, with or without modification, are permitted provided that the
following conditions are met:

1. Redistributions of source code must retain the above copyright notice, this list of conditions and the following
   disclaimer.
2. Redistributions in binary form must reproduce the above copyright notice, this list of conditions and the following
   disclaimer in the documentation and/or other materials provided with the distribution.
3. Neither the name of the copyright holder nor the names of its contributors may be used to endorse or promote
   products derived from this software without specific prior written permission.

THIS SOFTWARE IS PROVIDED BY THE COPYRIGHT HOLDERS AND CONTRIBUTORS "AS IS" AND ANY EXPRESS OR IMPLIED WARRANTIES,
INCLUDING, BUT NOT LIMITED TO, THE IMPLIED WARRANTIES OF MERCHANTABILITY AND FITNESS FOR A PARTICULAR PURPOSE ARE
DISCLAIMED. IN NO EVENT SHALL THE COPYRIGHT HOLDER OR CONTRIBUTORS BE LIABLE FOR ANY DIRECT, INDIRECT, INCIDENTAL,
SPECIAL, EXEMPLARY, OR CONSEQUENTIAL DAMAGES (INCLUDING, BUT NOT LIMITED TO, PROCUREMENT OF SUBSTITUTE GOODS OR
SERVICES; LOSS OF USE, DATA, OR PROFITS; OR BUSINESS INTERRUPTION) HOWEVER CAUSED AND ON ANY THEORY OF LIABILITY,
WHETHER IN CONTRACT, STRICT LIABILITY, OR TORT (INCLUDING NEGLIGENCE OR OTHERWISE) ARISING IN ANY WAY OUT OF THE USE
OF THIS SOFTWARE, EVEN IF ADVISED OF THE POSSIBILITY OF SUCH DAMAGE.
"""


def _pack(name: str, version: str, work: Path) -> tarfile.TarFile:
    out = subprocess.run(
        ["npm", "pack", f"{name}@{version}", "--silent"], cwd=work, check=True, capture_output=True, text=True
    )
    data = (work / out.stdout.strip().splitlines()[-1]).read_bytes()
    return tarfile.open(fileobj=io.BytesIO(data))


def main() -> None:
    shutil.rmtree(FILES, ignore_errors=True)
    assets = []
    with tempfile.TemporaryDirectory() as tmp:
        for name, version, urls in PACKAGES:
            tar = _pack(name, version, Path(tmp))
            members = {m.name.removeprefix("package/"): m for m in tar.getmembers() if m.isfile()}
            meta = json.loads(tar.extractfile(members["package.json"]).read())  # type: ignore[union-attr]
            folder = FILES / f"{name.replace('/', '__')}@{version}"
            wanted = list(urls.values()) + [
                p
                for prefix in EXTRA_DIRS.get(name, [])
                for p in members
                if p.startswith(prefix) and p.endswith(EXTRA_SUFFIX)
            ]
            for path in sorted(set(wanted)):
                target = folder / path
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(tar.extractfile(members[path]).read())  # type: ignore[union-attr]
            licence = next((members[n] for n in LICENSE_NAMES if n in members), None)
            if licence is not None:
                text = tar.extractfile(licence).read().decode()  # type: ignore[union-attr]
            else:  # the package ships no licence file: its declared licence, with its author as holder
                author = meta.get("author")
                holder = author.get("name") if isinstance(author, dict) else str(author or name)
                text = {"MIT": MIT, "BSD-3-Clause": BSD3}[meta["license"]].format(holder=holder)
                text += (
                    f"\n(Written from the package's declared licence {meta['license']}: {name} {version} ships no "
                    "licence file.)\n"
                )
            (folder / "LICENSE.txt").write_text(text)
            for url, path in urls.items():
                local = (folder / path).relative_to(FILES)
                assets.append(
                    {
                        "url": url,
                        "file": str(local),
                        "package": name,
                        "version": version,
                        "license": meta.get("license"),
                        "sha256": hashlib.sha256((folder / path).read_bytes()).hexdigest(),
                    }
                )
    (HERE / "assets.json").write_text(json.dumps(assets, indent=1) + "\n")


if __name__ == "__main__":
    main()
