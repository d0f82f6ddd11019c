"""A toy governance model as a plug-in, the whole of it: the line grids, with every citizen
knowing the right one (a signposting campaign), so no wrong door.

Named in a scenario's ``plugins: [gridsim_toy]`` (with this folder on the path), it runs
wherever siloed and merged do.
"""

from sim.governance import SiloedPolicy, register
from sim.issues import quantiles


@register
class SignpostedPolicy(SiloedPolicy):
    """Siloed line grids where the citizen always picks the right line grid (no wrong door)."""

    name = "signposted"
    label, label_zh = "signposted line grids", "指引清楚的条线网格"

    def __init__(self, world, issues):
        super().__init__(world, issues)
        self.pick = self.right.copy()
        intake = dict(enumerate(self.sc.line_grids[k].intake for k in self.line_names))
        self.line_intake[:, 0] = quantiles(issues.u["intake"][:, 0], self.pick, intake)
