"""Screenshots of every page of the zh and en demo editions, as a reader's browser shows them.

Looking at the pages is the check that tests cannot make: spacing, table widths, fonts, figures
(issue 12: "looks like a statistical bulletin"). This script

1. builds the demo editions it is asked for (``--build``: ``demo-2023Q4`` in Chinese and
   ``demo-2023Q4-en`` in English, from the synthetic court; ``--notebooks 01,02`` to build only
   some reports) or takes existing editions (``--edition PATH``, repeatable);
2. screenshots with headless Chromium (Debian's ``chromium``: ``apt-get install chromium``)
   every page a reader opens: ``reports/index.html``, each edition's ``index.html`` and every
   report page, the full height of the page at a desktop width (``--width``, 1280 px), into
   ``--out`` (default ``reports/screenshots/``, which git ignores), one PNG per page, plus
   screen-sized tiles (``--tiles``) that an image viewer shows at full size;
3. optionally renders one page of an edition's PDF report with poppler's ``pdftoppm`` as a small
   PNG (``--pdf-page N --pdf-out FILE``: the README's picture of the printable report).

Usage, from the project folder::

    .venv/bin/python scripts/screenshots.py --build --tiles
    .venv/bin/python scripts/screenshots.py --edition reports/demo-2023Q4 --pdf-page 1 \\
        --pdf-out docs/images/report-page-1.png

Chromium runs with a fresh profile and without any background networking (the flags of
:data:`CHROMIUM_FLAGS`), so it needs no network and leaves nothing behind; it is given the
reports' CJK font (Noto Sans CJK from the ``noto-cjk-sans-otc`` wheel) through a fontconfig file
(:func:`font_environment`), so no system font package is needed.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
#: Headless Chromium without sandbox (root in containers), GPU, first-run or background traffic.
CHROMIUM_FLAGS: tuple[str, ...] = (
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--hide-scrollbars", "--force-device-scale-factor=1", "--default-background-color=ffffffff",
)
#: Tallest page captured in one shot (px); a longer page is captured again at twice the height.
FIRST_HEIGHT = 12000
MAX_HEIGHT = 96000
TILE_HEIGHT = 1400


def chromium() -> str:
    """The Chromium executable, or exit with how to install it."""
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    sys.exit("headless Chromium is needed: `apt-get install chromium` (Debian) and run again")


def build_demo_editions(reports: Path, notebooks: str | None) -> list[Path]:
    """The en and zh demo editions (rebuilt from the demo seed; replaces earlier ones). The zh
    edition is built last, so the reports index (in the newest edition's language) is Chinese."""
    from courtstudy.report.edition import run_edition

    out = []
    for name, lang in (("demo-2023Q4-en", "en"), ("demo-2023Q4", "zh")):  # zh last: newest
        print(f"building {name} ({lang}) ...", flush=True)
        result = run_edition(name, data="demo", period="2023Q4", lang=lang, notebooks=notebooks,
                             reports_folder=reports, force=True, progress_bar=False,
                             log=lambda line: print("  " + line, flush=True))
        if not result.ok:
            print(f"  {name}: a report failed; its page shows the error", flush=True)
        out.append(result.path)
    return out


def font_environment(folder: Path) -> dict[str, str]:
    """The environment for Chromium with the reports' CJK font: a fontconfig file that adds the
    folder of the ``noto-cjk-sans-otc`` wheel's Noto Sans CJK (the font of the figures and the
    PDF) to the system's fonts, so the pages show Chinese without a system font package (on a
    reader's computer the pages fall back to Microsoft YaHei / PingFang, see reader.PAGE_CSS)."""
    import os

    from courtstudy.report.style import cjk_font_path

    conf = folder / "fonts.conf"
    conf.write_text(
        '<?xml version="1.0"?>\n<!DOCTYPE fontconfig SYSTEM "fonts.dtd">\n<fontconfig>\n'
        '  <include ignore_missing="yes">/etc/fonts/fonts.conf</include>\n'
        f"  <dir>{cjk_font_path().parent}</dir>\n"
        f"  <cachedir>{folder / 'cache'}</cachedir>\n</fontconfig>\n", encoding="utf-8")
    return {**os.environ, "FONTCONFIG_FILE": str(conf)}


def _content_height(png: Path) -> int | None:
    """Height of the page in a tall capture: the last row that is not the white background
    (None when the capture is filled to the bottom, i.e. the page is taller)."""
    from PIL import Image, ImageChops

    with Image.open(png) as image:
        rgb = image.convert("RGB")
        box = ImageChops.difference(rgb, Image.new("RGB", rgb.size, (255, 255, 255))).getbbox()
    if box is None:
        return 0
    return None if box[3] >= rgb.height - 2 else box[3] + 24


def screenshot(page: Path, png: Path, width: int, browser: str) -> Path:
    """Full-height screenshot of ``page`` (a local HTML file) into ``png``."""
    from PIL import Image

    height = FIRST_HEIGHT
    with tempfile.TemporaryDirectory(prefix="cs-chromium-") as profile:
        env = font_environment(Path(profile))
        while True:
            command = [browser, *CHROMIUM_FLAGS, f"--user-data-dir={profile}/profile",
                       f"--window-size={width},{height}", f"--screenshot={png}", page.resolve().as_uri()]
            done = subprocess.run(command, capture_output=True, text=True, timeout=180, check=False, env=env)
            if done.returncode != 0 or not png.is_file():
                raise RuntimeError(f"chromium failed on {page}: {done.stderr[-2000:]}")
            used = _content_height(png)
            if used is not None or height >= MAX_HEIGHT:
                break
            height *= 2
    with Image.open(png) as image:
        image.crop((0, 0, image.width, used or image.height)).save(png, optimize=True)
    return png


def tiles(png: Path, folder: Path) -> list[Path]:
    """``png`` cut into screen-sized pieces (``name-01.png`` ...) for viewing at full size."""
    from PIL import Image

    folder.mkdir(parents=True, exist_ok=True)
    out = []
    with Image.open(png) as image:
        for i, top in enumerate(range(0, image.height, TILE_HEIGHT), 1):
            piece = folder / f"{png.stem}-{i:02d}.png"
            image.crop((0, top, image.width, min(image.height, top + TILE_HEIGHT))).save(piece, optimize=True)
            out.append(piece)
    return out


def pdf_page(pdf: Path, page: int, out: Path, dpi: int = 80, colours: int = 64) -> Path:
    """Page ``page`` of ``pdf`` as a small PNG (poppler's pdftoppm, then a reduced palette)."""
    from PIL import Image

    if shutil.which("pdftoppm") is None:
        sys.exit("pdftoppm is needed: `apt-get install poppler-utils`")
    out.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        stem = Path(tmp) / "page"
        subprocess.run(["pdftoppm", "-png", "-r", str(dpi), "-f", str(page), "-l", str(page),
                        "-singlefile", str(pdf), str(stem)], check=True)
        with Image.open(stem.with_suffix(".png")) as image:
            small = image.convert("RGB").quantize(colors=colours, method=Image.Quantize.MEDIANCUT)
            small.save(out, optimize=True)
    return out


def pages_of(edition: Path) -> list[Path]:
    """The pages a reader opens in an edition: its index, then each report page."""
    return [edition / "index.html", *sorted(p for p in edition.glob("*.html") if p.name != "index.html")]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--build", action="store_true", help="build the zh and en demo editions first")
    parser.add_argument("--notebooks", default=None, help="with --build: only these reports, e.g. 01,02")
    parser.add_argument("--edition", action="append", default=[], type=Path,
                        help="an existing edition folder (repeatable)")
    parser.add_argument("--reports", type=Path, default=ROOT / "reports", help="the reports folder")
    parser.add_argument("--out", type=Path, default=None, help="where the PNGs go (default reports/screenshots)")
    parser.add_argument("--width", type=int, default=1280, help="browser width in px (default 1280)")
    parser.add_argument("--tiles", action="store_true", help="also write screen-sized tiles of each page")
    parser.add_argument("--pdf-page", type=int, default=0, help="render this page of the first edition's PDF")
    parser.add_argument("--pdf-out", type=Path, default=None, help="PNG file of --pdf-page")
    args = parser.parse_args(argv)

    editions = list(args.edition)
    if args.build:
        editions += build_demo_editions(args.reports, args.notebooks)
    if not editions:
        parser.error("pass --build or --edition PATH")
    out = args.out or args.reports / "screenshots"
    out.mkdir(parents=True, exist_ok=True)
    browser = chromium()
    pages = [(args.reports / "index.html", "reports-index")] if (args.reports / "index.html").is_file() else []
    pages += [(page, f"{edition.name}--{page.stem}") for edition in editions for page in pages_of(edition)]
    for page, name in pages:
        png = screenshot(page, out / f"{name}.png", args.width, browser)
        from PIL import Image

        with Image.open(png) as image:
            size = image.size
        print(f"{png}  {size[0]}x{size[1]}", flush=True)
        if args.tiles:
            tiles(png, out / "tiles")
    if args.pdf_page:
        pdf = editions[0] / "report.pdf"
        target = args.pdf_out or out / f"{editions[0].name}--report-page-{args.pdf_page}.png"
        png = pdf_page(pdf, args.pdf_page, target)
        print(f"{png}  {png.stat().st_size / 1024:.0f} KB", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
