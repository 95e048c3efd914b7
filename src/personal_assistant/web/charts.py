"""Small server-rendered SVG charts: bars for counts, a line for durations.

Only numbers and escaped labels go into the markup; colours come from CSS classes, so
the charts follow the light or dark theme.
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

from markupsafe import Markup

WIDTH, HEIGHT, PAD = 320, 90, 14


def _frame(title: str, body: str, caption: str) -> Markup:
    label = escape(title)
    # Numbers and escaped labels only (see the module's docstring).
    return Markup(  # nosec B704: every interpolated text is escaped above
        f'<figure class="chart"><svg viewBox="0 0 {WIDTH} {HEIGHT + PAD}" role="img" '
        f'aria-label="{label}" preserveAspectRatio="none"><title>{label}</title>'
        f'<line class="axis" x1="0" y1="{HEIGHT}" x2="{WIDTH}" y2="{HEIGHT}"/>{body}</svg>'
        f"<figcaption>{escape(caption)}</figcaption></figure>"
    )


def _empty(title: str, caption: str) -> Markup:
    body = (
        f'<text class="empty" x="{WIDTH / 2}" y="{HEIGHT / 2}" text-anchor="middle">no data</text>'
    )
    return _frame(title, body, caption)


def bars(title: str, totals: Sequence[int], highlighted: Sequence[int], caption: str) -> Markup:
    """One bar per bucket (``totals``); the ``highlighted`` part (e.g. failures) on top."""
    if not any(totals):
        return _empty(title, caption)
    peak = max([*totals, 1])
    step = WIDTH / max(len(totals), 1)
    parts = []
    for i, (total, part) in enumerate(zip(totals, highlighted, strict=True)):
        x = i * step + step * 0.1
        w = step * 0.8
        h = (HEIGHT - PAD) * total / peak
        hp = (HEIGHT - PAD) * part / peak
        parts.append(
            f'<rect class="bar" x="{x:.1f}" y="{HEIGHT - h:.1f}" width="{w:.1f}" height="{h:.1f}">'
            f"<title>{total} finished, {part} failed</title></rect>"
        )
        if part:
            parts.append(
                f'<rect class="bar-bad" x="{x:.1f}" y="{HEIGHT - hp:.1f}" '
                f'width="{w:.1f}" height="{hp:.1f}"/>'
            )
    parts.append(f'<text class="peak" x="2" y="{PAD - 4}">{peak}</text>')
    return _frame(title, "".join(parts), caption)


def line(title: str, values: Sequence[float | None], caption: str, unit: str = "s") -> Markup:
    """A polyline through the known values; gaps where a bucket had none."""
    known = [v for v in values if v is not None]
    if not known:
        return _empty(title, caption)
    peak = max([*known, 0.001])
    step = WIDTH / max(len(values) - 1, 1)
    segments: list[list[str]] = [[]]
    for i, value in enumerate(values):
        if value is None:
            segments.append([])
            continue
        y = HEIGHT - (HEIGHT - PAD) * value / peak
        segments[-1].append(f"{i * step:.1f},{y:.1f}")
    body = "".join(
        f'<polyline class="line" points="{" ".join(points)}"/>'
        if len(points) > 1
        else f'<circle class="dot" cx="{points[0].split(",")[0]}" '
        f'cy="{points[0].split(",")[1]}" r="2"/>'
        for points in segments
        if points
    )
    body += f'<text class="peak" x="2" y="{PAD - 4}">{peak:.3g} {escape(unit)}</text>'
    return _frame(title, body, caption)
