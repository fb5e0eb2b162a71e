"""One look for every figure: seaborn theme, a CJK font that needs no system install, colours.

Call :func:`use_court_style` once before drawing (``courtstudy.report.notebook.setup`` does it). It

1. applies ``seaborn.set_theme`` (white grid, "notebook" context scaled for report pages), then
2. registers Noto Sans CJK (the ``noto-cjk-sans-otc`` wheel ships ``NotoSansCJK-Regular.ttc``)
   with matplotlib and puts its Simplified Chinese face, "Noto Sans CJK SC", first in
   ``font.sans-serif``. The order matters: ``set_theme`` resets the font list, so the CJK font is
   set *after* it, here and nowhere else.

Colours are stable: :func:`court_palette` keys colours by the *sorted* court names, so a court has
the same colour in every figure built from the same list of courts (pass the full list of courts
in the data, not the ones a figure happens to show). Tracks (繁简分流) and team types have fixed
colours (:data:`TRACK_COLORS`, :data:`TEAM_TYPE_COLORS`).
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

#: The Simplified Chinese face of the Noto Sans CJK collection.
CJK_FAMILY = "Noto Sans CJK SC"
#: Fallback for glyphs the CJK face lacks (matplotlib falls back per glyph through this list).
FALLBACK_FAMILIES: tuple[str, ...] = ("DejaVu Sans",)
#: Dots per inch of saved figures: sharp at A4 report width.
FIGURE_DPI = 150
#: Default figure size (inches): half an A4 page width at 150 dpi stays readable.
FIGURE_SIZE = (8.0, 4.5)

#: Colour-blind-safe qualitative colours (seaborn "colorblind", then "dark" for more courts).
_QUALITATIVE: tuple[str, ...] = (
    "#0173b2", "#de8f05", "#029e73", "#d55e00", "#cc78bc", "#ca9161", "#fbafe4", "#949494",
    "#ece133", "#56b4e9", "#001c7f", "#b1400d", "#12711c", "#8c0800", "#591e71", "#592f0d",
    "#a23582", "#3c3c3c", "#b8850a", "#006374",
)

TRACK_COLORS: dict[str, str] = {"simple": "#029e73", "complex": "#d55e00", "": "#949494"}
TEAM_TYPE_COLORS: dict[str, str] = {
    "fast_track": "#0173b2",
    "specialised": "#cc78bc",
    "standard": "#949494",
}
#: Direction colours of year-on-year panels: better, worse, unchanged.
DIRECTION_COLORS: dict[str, str] = {"better": "#029e73", "worse": "#d55e00", "same": "#949494"}


def cjk_font_path() -> Path:
    """Path of the Noto Sans CJK collection shipped by the ``noto-cjk-sans-otc`` package.

    Raises ``FileNotFoundError`` naming the package when it is not installed."""
    try:
        import noto_cjk_sans_otc
    except ImportError as exc:  # pragma: no cover - a declared dependency
        raise FileNotFoundError(
            "the CJK font package is missing: install it with `pip install noto-cjk-sans-otc`"
        ) from exc
    path = Path(str(noto_cjk_sans_otc.FONT_PATH))
    if not path.is_file():  # pragma: no cover
        raise FileNotFoundError(f"{path}: the Noto Sans CJK font file is missing; reinstall noto-cjk-sans-otc")
    return path


def register_cjk_font() -> str:
    """Make the CJK font known to matplotlib (once per process) and return its family name.

    ``FontManager.addfont`` reads every face of the ``.ttc`` collection (matplotlib >= 3.10), so
    "Noto Sans CJK SC" becomes a family name that ``font.sans-serif`` can select."""
    from matplotlib import font_manager

    path = str(cjk_font_path())
    known = {Path(str(entry.fname)).resolve() for entry in font_manager.fontManager.ttflist}
    if Path(path).resolve() not in known:
        font_manager.fontManager.addfont(path)
    return CJK_FAMILY


def use_court_style(context: str = "notebook", font_scale: float = 1.0) -> None:
    """Apply the court report style to matplotlib and seaborn (idempotent).

    ``context`` and ``font_scale`` go to ``seaborn.set_theme``; the CJK font is set afterwards
    (see the module docstring), with ``axes.unicode_minus`` off so negative numbers use the
    ASCII hyphen-minus, which every face has."""
    import matplotlib as mpl
    import seaborn as sns

    sns.set_theme(context=context, style="whitegrid", palette=list(_QUALITATIVE[:10]),
                  font_scale=font_scale)
    family = register_cjk_font()
    mpl.rcParams["font.family"] = "sans-serif"
    mpl.rcParams["font.sans-serif"] = [family, *FALLBACK_FAMILIES]
    mpl.rcParams["axes.unicode_minus"] = False
    mpl.rcParams["figure.figsize"] = FIGURE_SIZE
    mpl.rcParams["figure.dpi"] = 100
    mpl.rcParams["savefig.dpi"] = FIGURE_DPI
    mpl.rcParams["savefig.bbox"] = "tight"


def court_palette(courts: Iterable[str]) -> dict[str, str]:
    """Colour of each court, keyed by the sorted distinct names.

    The i-th court in sorted order gets the i-th colour of a fixed colour-blind-safe list
    (cycling after 20), so the mapping depends only on the set of names given."""
    names = sorted({str(c) for c in courts})
    return {name: _QUALITATIVE[i % len(_QUALITATIVE)] for i, name in enumerate(names)}


def series_palette(values: Iterable[str]) -> dict[str, str]:
    """Colours for any other categorical series (teams, causes ...), keyed by sorted values."""
    return court_palette(values)
