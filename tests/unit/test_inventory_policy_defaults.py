"""ABC/XYZ class -> policy defaults, with planner overrides (qudao.engines.inventory.policy_defaults)."""

import ast
from pathlib import Path

import numpy as np
import pytest

import qudao.engines.inventory as inv
from qudao.engines.inventory import DEFAULT_CLASS_POLICIES, ClassPolicy, PolicyInputError, policy_defaults


def test_defaults_follow_the_abc_xyz_matrix():
    """Scholz-Reiter et al. (2012) ABC-XYZ matrix; Silver, Pyke & Thomas (2017) Ch. 2: tighter service and
    more frequent review for A and for stable (X) items. House defaults: AX 98% reviewed daily (r, Q),
    CZ 90% every 28 days (R, S)."""
    d = policy_defaults(["A", "C", "b"], [" x", "Z", "Y"])
    assert list(d.service_level) == [0.98, 0.90, 0.95]
    assert list(d.review_period_days) == [1.0, 28.0, 7.0]
    assert list(d.policy) == ["rQ", "RS", "RS"]
    for a, b in [("AX", "BX"), ("BX", "CX"), ("AX", "AY"), ("AY", "AZ"), ("CY", "CZ")]:
        assert DEFAULT_CLASS_POLICIES[a].service_level > DEFAULT_CLASS_POLICIES[b].service_level


def test_combined_labels_scalar_and_overrides():
    """Planner overrides per class (partial dict or a whole ClassPolicy) replace the defaults."""
    assert list(policy_defaults(["A", "C"]).service_level) == [0.97, 0.93]  # ABC only: the Y column
    single = policy_defaults("bz")
    assert single.service_level == 0.93 and single.review_period_days == 14.0 and single.policy == "RS"
    d = policy_defaults(np.array(["CZ", "AX", "CZ"]),
                        overrides={"cz": {"service_level": 0.85}, "AX": ClassPolicy(0.995, 0, "rQ")})
    assert list(d.service_level) == [0.85, 0.995, 0.85]
    assert list(d.review_period_days) == [28.0, 0.0, 28.0]


def test_bad_classes_and_overrides_are_named():
    """Issue 5: bad input names the item (unknown class at index 1) or the override and field."""
    with pytest.raises(PolicyInputError, match=r"class\[1\].*unknown ABC/XYZ class 'QQ'"):
        policy_defaults(["AX", "QQ"])
    with pytest.raises(PolicyInputError, match=r"overrides\['AX'\].service_level=1.2 must be in \(0, 1\)"):
        policy_defaults(["AX"], overrides={"AX": {"service_level": 1.2}})
    with pytest.raises(PolicyInputError, match="unknown class"):
        policy_defaults(["AX"], overrides={"DX": {"service_level": 0.9}})
    with pytest.raises(PolicyInputError, match="unknown fields"):
        policy_defaults(["AX"], overrides={"AX": {"service": 0.9}})


def test_engine_is_pure():
    """Architecture rule: qudao.engines imports no database, web or area package."""
    allowed_roots = {"__future__", "collections", "dataclasses", "numpy", "scipy", "math", "typing"}
    for path in Path(inv.__file__).parent.glob("*.py"):
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                if node.level:
                    continue
                names = [node.module or ""]
            else:
                continue
            for name in names:
                assert name.split(".")[0] in allowed_roots, f"{path.name} imports {name}"
