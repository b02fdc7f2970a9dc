from prometheus_client.parser import text_string_to_metric_families
from twisted.trial.unittest import SynchronousTestCase

from moontwist.metrics import Family, render


class RenderTests(SynchronousTestCase):
    def test_labels_and_help_are_escaped_so_prometheus_reads_them_back(self) -> None:
        text = render([
            Family("calls_total", "counter", "Calls\nby \\method").add(2, method='a"b\\c\nd'),
            Family("ratio", "gauge", "A ratio").add(0.25).add(float("inf"), kind="max"),
        ])
        families = {family.name: family for family in text_string_to_metric_families(text)}
        self.assertEqual(families["calls"].documentation, "Calls\nby \\method")
        self.assertEqual([(s.labels, s.value) for s in families["calls"].samples], [({"method": 'a"b\\c\nd'}, 2.0)])
        self.assertEqual([(s.labels, s.value) for s in families["ratio"].samples],
                         [({}, 0.25), ({"kind": "max"}, float("inf"))])
