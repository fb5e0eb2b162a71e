"""What a figure says, and what it fails to say: the checks every report figure passes.

A figure for a court president states what it shows without the text around it (issue 12):

* a **title**: the figure's own title, or for small multiples a figure title
  (``fig.suptitle``) above the panels' titles;
* **axis labels**: every panel labels both axes (or the figure has a common label,
  ``fig.supxlabel`` / ``fig.supylabel``); a numeric value axis names its **unit** in brackets
  (件, 天, %, 1 = 平均月份 ...) or in words ("Months since adoption", 立案后天数), while an axis
  of categories (courts, months, indicators) or of years/dates needs none;
* a **key for every mark**: when a panel draws more than one mark (lines, reference lines,
  bar groups, points, bands), each has a label shown in a legend of the panel or the figure; a
  colour scale (heatmap) has a colour bar. A reference line that is the axis' own zero (drawn
  with ``gid="baseline"``) is not a mark;
* **nothing on top of the words**: a legend of the figure does not overlap the figure's title,
  its common axis labels or a panel's title.

:func:`describe_figure` collects the figure's text and these problems; ``ctx.figure`` keeps
the description in the notebook's output metadata (the title is also the image's alt text),
and tests check the figures of a real edition with it, including the language of their text
(:func:`courtstudy.report.language.foreign_words`).
"""

from __future__ import annotations

import re
from typing import Any

#: ``gid`` of lines that are an axis' reference (zero) and need no legend entry.
BASELINE = "baseline"
_UNIT = re.compile(r"[（(][^）)]+[）)]")
#: A label that names its unit in words: "Months since adoption", "立案后天数".
_UNIT_WORDS = re.compile(r"^(days|months|quarters|years|weeks|cases)\b|天数|月数|季度数|年数|件数|百分点|%",
                         flags=re.IGNORECASE)
_NUMBER = re.compile(r"^[−\-+]?[\d,]*\.?\d+%?$")


def _text(artist: Any) -> str:
    return artist.get_text().strip() if artist is not None else ""


def _is_colorbar(ax: Any) -> bool:
    return hasattr(ax, "_colorbar")


def _data_axes(fig: Any) -> list[Any]:
    return [ax for ax in fig.axes if ax.get_visible() and not _is_colorbar(ax)]


def _legend_texts(fig: Any) -> set[str]:
    texts: set[str] = set()
    legends = [*fig.legends, *(ax.get_legend() for ax in fig.axes)]
    for legend in legends:
        if legend is not None and legend.get_visible():
            texts.update(t.get_text() for t in legend.get_texts())
    return texts


def _marks(ax: Any) -> list[tuple[str, str]]:
    """(kind, label) of each mark of ``ax`` that needs a key."""
    from matplotlib.collections import LineCollection, PathCollection, PolyCollection, QuadMesh
    from matplotlib.container import BarContainer, ErrorbarContainer

    in_containers = set()
    marks: list[tuple[str, str]] = []
    for container in ax.containers:
        children = [c for c in container.get_children() if c is not None]
        in_containers.update(id(c) for c in children)
        if isinstance(container, BarContainer | ErrorbarContainer):
            marks.append(("bars" if isinstance(container, BarContainer) else "points",
                          str(container.get_label() or "")))
    for line in ax.lines:
        if id(line) in in_containers or not line.get_visible() or line.get_gid() == BASELINE:
            continue
        marks.append(("line", str(line.get_label() or "")))
    for collection in ax.collections:
        if id(collection) in in_containers or not collection.get_visible():
            continue
        if isinstance(collection, QuadMesh):
            marks.append(("colour scale", "\x00colour"))
        elif isinstance(collection, PathCollection | PolyCollection) and not isinstance(collection, LineCollection):
            marks.append(("points" if isinstance(collection, PathCollection) else "band",
                          str(collection.get_label() or "")))
    return marks


def _axis_is_numeric(ax: Any, which: str) -> bool:
    """Whether ``ax``'s ``which`` axis shows values (numbers other than years), not categories
    or dates."""
    axis = ax.xaxis if which == "x" else ax.yaxis
    from matplotlib.dates import AutoDateFormatter, ConciseDateFormatter, DateFormatter

    if isinstance(axis.get_major_formatter(), AutoDateFormatter | ConciseDateFormatter | DateFormatter):
        return False
    if axis.get_units() is not None:  # string categories
        return False
    labels = [t.get_text().replace("\u2212", "-") for t in axis.get_ticklabels() if t.get_text()]
    if not labels or not all(_NUMBER.match(t) for t in labels):
        return False
    values = [float(t.replace(",", "").rstrip("%")) for t in labels]
    return not all(v.is_integer() and 1900 <= v <= 2100 for v in values)


def _legend_overlaps(fig: Any, axes: list[Any]) -> list[str]:
    """Figure legends whose box overlaps the figure's title, its common axis labels or a
    panel's title (drawn extents, so only for a drawn figure)."""
    renderer = fig.canvas.get_renderer()
    words = [(name, artist) for name, artist in (("figure title", fig._suptitle),
             ("x axis label", fig._supxlabel), ("y axis label", fig._supylabel))
             if artist is not None and _text(artist)]
    words += [(f"title of panel {i + 1}", ax.title) for i, ax in enumerate(axes) if _text(ax.title)]
    out = []
    for legend in fig.legends:
        box = legend.get_window_extent(renderer)
        for name, artist in words:
            if box.overlaps(artist.get_window_extent(renderer)):
                out.append(f"the figure's legend overlaps the {name}")
    return out


def describe_figure(fig: Any) -> dict[str, Any]:
    """The text of ``fig`` and its problems: ``title`` (the figure's title, else the single
    panel's), ``texts`` (every piece of text a reader sees: titles, labels, tick labels, legend
    entries, annotations), ``problems`` (see the module docstring; empty when the figure is
    fit to publish)."""
    fig.canvas.draw()  # tick labels exist only once drawn
    axes = _data_axes(fig)
    suptitle = _text(fig._suptitle)
    supx, supy = _text(fig._supxlabel), _text(fig._supylabel)
    legends = _legend_texts(fig)
    texts: list[str] = [t for t in (suptitle, supx, supy) if t]
    texts += [_text(t) for t in fig.texts if t.get_visible() and _text(t) and t not in
              (fig._suptitle, fig._supxlabel, fig._supylabel)]
    problems: list[str] = []
    if len(axes) > 1 and not suptitle:
        problems.append("small multiples without a figure title (fig.suptitle)")
    if len(axes) == 1 and not (suptitle or _text(axes[0].title)):
        problems.append("no title")
    for i, ax in enumerate(axes):
        where = f"panel {i + 1}" if len(axes) > 1 else "axes"
        title = _text(ax.title)
        texts += [t for t in (title, ax.get_xlabel(), ax.get_ylabel()) if t]
        texts += [t.get_text() for t in [*ax.get_xticklabels(), *ax.get_yticklabels()] if t.get_text()]
        texts += [t.get_text() for t in ax.texts if t.get_visible() and t.get_text()]
        for which, label, common in (("x", ax.get_xlabel(), supx), ("y", ax.get_ylabel(), supy)):
            shown = label or common or (which == "y" and _UNIT.search(title or "") and title)
            if not shown:
                problems.append(f"{where}: no {which} axis label")
            elif _axis_is_numeric(ax, which) and not (_UNIT.search(str(shown)) or _UNIT_WORDS.search(str(shown))):
                problems.append(f"{where}: {which} axis label {shown!r} names no unit")
        marks = _marks(ax)
        if any(kind == "colour scale" for kind, _ in marks) and not any(
                _is_colorbar(other) for other in fig.axes) and not ax.texts:
            problems.append(f"{where}: a colour scale without a colour bar or values")
        keyed = [(kind, label) for kind, label in marks if kind != "colour scale"]
        if len(keyed) > 1:
            for kind, label in keyed:
                if not label or label.startswith("_") or label not in legends:
                    problems.append(f"{where}: a {kind} ({label or 'no label'}) has no legend entry")
    for legend in [*fig.legends, *(ax.get_legend() for ax in fig.axes)]:
        if legend is not None:
            texts += [t.get_text() for t in legend.get_texts() if t.get_text()]
            if _text(legend.get_title()):
                texts.append(_text(legend.get_title()))
    problems += _legend_overlaps(fig, axes)
    for cax in (ax for ax in fig.axes if _is_colorbar(ax)):
        texts += [t for t in (cax.get_xlabel(), cax.get_ylabel()) if t]
    title = suptitle or (_text(axes[0].title) if len(axes) == 1 else "")
    return {"title": title, "texts": list(dict.fromkeys(texts)), "problems": list(dict.fromkeys(problems))}
