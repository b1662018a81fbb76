"""The server-drawn SVG escapes every text it carries; the numbers are drawn as given."""

from __future__ import annotations

from alliance.checkins import charts


def test_chart_text_is_escaped_and_points_are_drawn():
    chart = charts.Chart(
        title='<script>alert("t")</script>',
        description="a & b",
        y_min=0,
        y_max=6,
        series=[charts.Series("Goals <b>", "goal", [(1, 2.5), (2, 4.0)])],
        band=charts.Band("<band>", [(1, 1.0, 3.0), (2, 2.0, 5.0)]),
        markers=[charts.Marker(2, 4.0, "better", "<i>better</i>")],
        x_label="Session <x>",
    )
    svg = str(charts.render(chart, chart_id='c"1'))
    assert "<script>" not in svg and "&lt;script&gt;alert(&quot;t&quot;)" in svg
    assert "a &amp; b" in svg and "Goals &lt;b&gt;: 2.5 (session 1)" in svg
    assert "&lt;band&gt;" in svg and "&lt;i&gt;better&lt;/i&gt;" in svg
    assert 'id="c&quot;1-t"' in svg and "Session &lt;x&gt;" in svg
    assert svg.count("<circle") == 2 and svg.count("<polygon") == 1
