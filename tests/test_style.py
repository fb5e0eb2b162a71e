"""The court figure style: Chinese text renders with real glyphs; colours are stable."""

from __future__ import annotations

import io
import warnings

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402
import seaborn as sns  # noqa: E402
from matplotlib import font_manager  # noqa: E402

from courtstudy.report import style  # noqa: E402

CHINESE = "审判质效：结案率、服判息诉率（二〇二三年第四季度）"


def _render_chinese_png() -> bytes:
    fig, ax = plt.subplots()
    ax.set_title(CHINESE)
    ax.set_xlabel("法院")
    ax.set_ylabel("平均审理天数")
    ax.bar(["城东区人民法院", "江北区人民法院"], [12.5, -3.0], label="速裁团队")
    ax.legend(title="团队类型")
    buffer = io.BytesIO()
    try:
        fig.savefig(buffer, format="png")
    finally:
        plt.close(fig)
    return buffer.getvalue()


def _glyph_warnings() -> list[str]:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        _render_chinese_png()
    return [str(w.message) for w in caught
            if "missing from font" in str(w.message) or "Glyph" in str(w.message)]


def test_chinese_renders_without_missing_glyph_warnings():
    style.use_court_style()
    with warnings.catch_warnings():
        warnings.filterwarnings("error", message=".*missing from font.*")
        warnings.filterwarnings("error", message=".*Glyph .* missing.*")
        png = _render_chinese_png()
    assert png.startswith(b"\x89PNG")
    resolved = font_manager.findfont(font_manager.FontProperties(family=["sans-serif"]))
    assert resolved.endswith("NotoSansCJK-Regular.ttc")
    assert resolved.face_index == 2  # the SC face of the collection (JP, KR, SC, TC, HK ...)


def test_seaborn_theme_alone_loses_the_cjk_font():
    # The check above can fail: seaborn's theme resets the font list, and DejaVu Sans has no
    # Chinese glyphs, so matplotlib warns. use_court_style() must restore the CJK font.
    sns.set_theme()
    try:
        assert _glyph_warnings(), "expected missing-glyph warnings without the CJK font"
    finally:
        style.use_court_style()
    assert _glyph_warnings() == []


def test_use_court_style_is_idempotent_and_registers_once():
    style.use_court_style()
    before = len(font_manager.fontManager.ttflist)
    style.use_court_style()
    assert len(font_manager.fontManager.ttflist) == before
    assert matplotlib.rcParams["font.sans-serif"][0] == style.CJK_FAMILY


def test_court_palette_is_keyed_by_sorted_names():
    courts = ["乙法院", "甲法院", "丙法院"]
    palette = style.court_palette(courts)
    assert palette == style.court_palette(list(reversed(courts)) + ["甲法院"])
    ordered = sorted(courts)
    assert [palette[c] for c in ordered] == list(style._QUALITATIVE[:3])
    assert len(set(style.court_palette([f"法院{i:02d}" for i in range(20)]).values())) == 20


@pytest.mark.parametrize("mapping", [style.TRACK_COLORS, style.TEAM_TYPE_COLORS])
def test_fixed_category_colours_are_distinct(mapping):
    assert len(set(mapping.values())) == len(mapping)
