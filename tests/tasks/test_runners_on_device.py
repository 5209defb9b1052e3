"""Every task runner end to end under the factory-device guard (``tests/device_guard.py``):
no hemlab line of a runner, its training, evaluation, attacks or metrics makes a tensor
without a device."""
from __future__ import annotations

import pytest

from hemlab.tasks import TASK_NAMES, run


@pytest.mark.parametrize("task", TASK_NAMES)
def test_every_task_runner_makes_its_tensors_on_the_inputs_device(factory_guard, tiny, spec_for, task):
    result = run(spec_for(task), "cpu", settings=tiny(task))
    assert result.rows
