"""A toy governance model as a plug-in, the whole of it: the line grids, with every citizen
knowing the right one (a signposting campaign), so no wrong door.

Named in a scenario's ``plugins: [gridsim_toy]`` (with this folder on the path), it runs
wherever siloed and merged do.  Its one setting, ``settings.signposted.signposting``, is also
its one reform switch: off, the model is the line grids' process draw for draw, so ``gridsim
explain --model signposted`` attributes its difference from siloed to the campaign.
"""

from pydantic import BaseModel, ConfigDict

from sim.governance import SiloedPolicy, Switch, register
from sim.issues import quantiles


class Settings(BaseModel):
    model_config = ConfigDict(extra="forbid")
    signposting: bool = True  # every citizen is told the right line grid


@register
class SignpostedPolicy(SiloedPolicy):
    """Siloed line grids where the citizen always picks the right line grid (no wrong door)."""

    name = "signposted"
    label, label_zh = "signposted line grids", "指引清楚的条线网格"
    Settings = Settings
    switches = (
        Switch(
            "signposting",
            "signposting campaign: every citizen knows the right line grid",
            lambda s, sc: s.signposting,
            lambda s, sc: ["signposting=false"],
            block="settings.signposted",
        ),
    )

    def __init__(self, world, issues):
        super().__init__(world, issues)
        if self.settings(self.sc).signposting:
            self.pick = self.right.copy()
            intake = dict(enumerate(self.sc.line_grids[k].intake for k in self.line_names))
            self.line_intake[:, 0] = quantiles(issues.u["intake"][:, 0], self.pick, intake)
