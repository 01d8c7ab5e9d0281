"""Tests for the adversarial evaluator: per-attack metric handlers, worst case, inferers, 3-D, checks, configs."""

from __future__ import annotations

import json
import os
import tempfile
import unittest
import unittest.mock

import torch
import torch.nn as nn
from monai.bundle import ConfigParser
from monai.data import DataLoader, Dataset, DistributedSampler, MetaTensor
from monai.inferers import SlidingWindowInferer
from monai.metrics import DiceMetric, MeanIoU
from monai.networks.nets import UNet
from ignite.engine import Events
from monai.networks.utils import one_hot
from parameterized import parameterized

from nlcen_monai.attacks import APGD, PGD, SegPGD, TargetedIFGSM, TransferAttack, WorstCaseAttack, get_attack
from nlcen_monai.engines import PAPER_EPSILONS, AdversarialEvaluator, InfererNetwork
from nlcen_monai.attacks.base import SegmentationAttack
from nlcen_monai.data import PendingFirstSampler
from nlcen_monai.handlers import AdversarialPanelWriter, RobustnessTableWriter
from nlcen_monai.robustness import MODEL_KEY, GradientMaskingChecks, MetricKey, ResultFiles, model_fingerprint
from nlcen_monai.robustness.checks import CHECK_MONOTONE, CHECK_MORE_ITERATIONS
from tests.attacks.attack_checks import blobs as disc_blobs
from tests.attacks.attack_checks import HelpingAttack, trained_blob_net


def threshold_net() -> nn.Module:
    """Foreground where the 3x3 mean exceeds 128: exact on the blobs below, flipped by eps >= ~12."""
    net = nn.Conv2d(1, 2, 3, padding=1)
    with torch.no_grad():
        net.weight.zero_()
        net.weight[1] = 1 / 90
        net.weight[0] = -1 / 90
        net.bias.copy_(torch.tensor([128 / 10, -128 / 10]))
    return net


class RoundedInput(nn.Module):
    """A deliberately gradient-masked network: its input is rounded first, so every input gradient is zero."""

    def __init__(self, net: nn.Module) -> None:
        super().__init__()
        self.net = net

    def forward(self, x):
        return self.net(torch.round(x))


def blobs(n: int = 4, size: int = 32) -> list[dict]:
    g = torch.Generator().manual_seed(0)
    items = []
    for i in range(n):
        label = torch.zeros(1, size, size)
        label[:, 6 + i : 22 + i, 8:24] = 1
        image = label * 24 + 116 + torch.randint(-3, 4, (1, size, size), generator=g).float()
        items.append({"image": image, "label": label})
    return items


def loader(n: int = 4) -> DataLoader:
    return DataLoader(Dataset(blobs(n)), batch_size=2)


def rows_of(evaluator):
    return {(r["attack"], r["eps"]): r for r in evaluator.state.robustness.rows}


# (attack, attack_kwargs)
ATTACK_CASES = [
    ("targeted_ifgsm", {}),
    ("ifgsm", {}),
    ("pgd", {"seed": 0, "restarts": 2, "alpha": 2, "steps": 10}),
    ("segpgd", {"seed": 0, "alpha": 2, "steps": 10}),
]


class TestAdversarialEvaluator(unittest.TestCase):
    @parameterized.expand(ATTACK_CASES)
    def test_metrics_per_intensity(self, attack, kwargs):
        net = threshold_net()
        net.train()
        evaluator = AdversarialEvaluator("cpu", loader(), net, epsilons=[16, 2], attack=attack, attack_kwargs=kwargs)
        evaluator.run()
        self.assertTrue(net.training)  # the caller's mode comes back
        rows = rows_of(evaluator)
        self.assertEqual(sorted(rows), [(attack, 0.0), (attack, 2.0), (attack, 16.0)])
        clean, strong = rows[(attack, 0.0)], rows[(attack, 16.0)]
        self.assertEqual(clean["n_images"], 4)
        self.assertGreater(clean["dice"], 0.95)
        self.assertLess(strong["dice"], clean["dice"] - 0.2)
        self.assertLess(strong["jaccard"], strong["dice"] + 1e-6)
        self.assertAlmostEqual(evaluator.state.metrics["dice_eps16"], strong["dice"])
        self.assertAlmostEqual(evaluator.state.metrics["jaccard_eps0"], clean["jaccard"])
        per_image = [r for r in evaluator.state.robustness.per_image if r["eps"] == 16.0]
        self.assertAlmostEqual(sum(r["dice"] for r in per_image) / 4, strong["dice"], places=6)

    def test_matches_monai_metrics(self):
        net = threshold_net().eval()
        items = blobs()
        evaluator = AdversarialEvaluator("cpu", loader(), net, epsilons=[8])
        evaluator.run()
        images = torch.stack([d["image"] for d in items])
        labels = torch.stack([d["label"] for d in items])
        attack = get_attack("targeted_ifgsm")
        for eps in (0.0, 8.0):
            x = images if eps == 0 else attack(net, images, labels, eps)
            with torch.no_grad():
                pred = one_hot(net(x).argmax(1, keepdim=True), 2)
            ref = one_hot(labels, 2)
            dice = DiceMetric(include_background=False)(pred, ref).mean().item()
            iou = MeanIoU(include_background=False)(pred, ref).mean().item()
            row = rows_of(evaluator)[("targeted_ifgsm", eps)]
            self.assertAlmostEqual(row["dice"], dice, places=6)
            self.assertAlmostEqual(row["jaccard"], iou, places=6)

    def test_a_single_attack_runs_as_a_one_member_ensemble(self):
        """One path: the single attack becomes ``WorstCaseAttack.single``; its rows are its own figure (above the
        clean Dice for an attack that helps), with no member rows and the attack's own settings recorded."""
        net = threshold_net().eval()
        items = [{"image": (d["image"] - 14.0).clamp(0, 255), "label": d["label"]} for d in blobs()]
        evaluator = AdversarialEvaluator("cpu", DataLoader(Dataset(items), batch_size=2), net, epsilons=[16],
                                         attack=HelpingAttack())
        evaluator.run()
        self.assertEqual([a.name for a in evaluator.plan.attacks], ["helping"])
        self.assertEqual(evaluator.members, [])
        self.assertEqual(evaluator.settings["attack"]["class"], "HelpingAttack")
        rows = rows_of(evaluator)
        self.assertEqual(sorted(rows), [("helping", 0.0), ("helping", 16.0)])
        self.assertGreater(rows[("helping", 16.0)]["dice"], rows[("helping", 0.0)]["dice"] + 0.05)
        self.assertEqual(evaluator.state.robustness.passes["run"], 4.0)

    def test_epsilons_and_skip(self):
        first = AdversarialEvaluator("cpu", loader(), threshold_net(), epsilons=[0.5000000001, 0])
        first.run()
        stored = first.state.robustness
        evaluator = AdversarialEvaluator("cpu", loader(), threshold_net(), epsilons=[4, 0.5, 4.0, 0])
        self.assertEqual(evaluator.epsilons, [0.0, 0.5, 4.0])
        # a stored result (as RobustnessTableWriter loads it): only what it lacks is computed
        evaluator.add_event_handler(Events.STARTED, lambda engine: setattr(engine.state, "robustness", stored.copy()))
        evaluator.run()
        self.assertEqual([r["eps"] for r in evaluator.state.robustness_run.rows], [4.0])
        self.assertEqual([r["eps"] for r in evaluator.state.robustness.rows], [0.0, 0.5, 4.0])
        self.assertEqual(evaluator.state.robustness.per_image[:8], stored.per_image)
        self.assertEqual(sorted(evaluator.state.metrics), ["dice_eps0", "dice_eps0.5", "dice_eps4", "jaccard_eps0", "jaccard_eps0.5", "jaccard_eps4"])
        no_clean = AdversarialEvaluator("cpu", loader(), threshold_net(), epsilons=[1], include_clean=False)
        self.assertEqual(no_clean.epsilons, [1.0])
        self.assertEqual(len(AdversarialEvaluator("cpu", loader(), threshold_net()).epsilons), len(PAPER_EPSILONS) + 1)

    def test_bad_arguments(self):
        with self.assertRaises(ValueError):
            AdversarialEvaluator("cpu", loader(), threshold_net(), epsilons=[-1])
        with self.assertRaisesRegex(ValueError, "unknown attack"):
            AdversarialEvaluator("cpu", loader(), threshold_net(), attack="nope")
        with self.assertRaisesRegex(ValueError, "key_metric"):
            AdversarialEvaluator("cpu", loader(), threshold_net(), epsilons=[2], key_metric="dice_eps3")
        with self.assertRaisesRegex(ValueError, "attack_kwargs"):
            AdversarialEvaluator("cpu", loader(), threshold_net(), attack=PGD(), attack_kwargs={"steps": 2})

    def test_transfer_from_identical_surrogate_equals_white_box(self):
        target_net, source = threshold_net(), threshold_net()
        transfer = AdversarialEvaluator(
            "cpu", loader(), target_net, epsilons=[16], attack=TransferAttack(source, TargetedIFGSM())
        )
        transfer.run()
        self.assertEqual(transfer.attack_name, "transfer_targeted_ifgsm")
        white = AdversarialEvaluator("cpu", loader(), target_net, epsilons=[16])
        white.run()
        self.assertEqual(
            [(r["dice"], r["jaccard"]) for r in transfer.state.robustness.rows],
            [(r["dice"], r["jaccard"]) for r in white.state.robustness.rows],
        )

    def test_worst_case_rows_and_key_metric(self):
        members = [TargetedIFGSM(), PGD(alpha=2, steps=6, seed=0), SegPGD(alpha=2, steps=6, seed=0)]
        evaluator = AdversarialEvaluator(
            "cpu", loader(), threshold_net(), epsilons=[4, 12], attack=members, key_metric="dice_eps12"
        )
        evaluator.run()
        rows = rows_of(evaluator)
        self.assertEqual(evaluator.attack_name, "worst_case")
        for eps in (4.0, 12.0):
            for m in members:
                self.assertLessEqual(rows[("worst_case", eps)]["dice"], rows[(m.name, eps)]["dice"] + 1e-7)
        self.assertEqual(evaluator.state.key_metric_name, "dice_eps12")
        self.assertAlmostEqual(evaluator.state.best_metric, rows[("worst_case", 12.0)]["dice"])
        self.assertEqual(evaluator.state.best_metric_epoch, 1)
        by_key = AdversarialEvaluator("cpu", loader(), threshold_net(), epsilons=[4], attack=members,
                                      key_metric=MetricKey("jaccard", 4, "pgd"))
        by_key.run()
        self.assertEqual(by_key.state.key_metric_name, "jaccard_pgd_eps4")
        self.assertAlmostEqual(by_key.state.best_metric, rows_of(by_key)[("pgd", 4.0)]["jaccard"])
        # per image: the worst case is at most every member that attacked the image
        per_image = evaluator.state.robustness.per_image
        worst = {(r["case_id"], r["eps"]): r["dice"] for r in per_image if r["attack"] == "worst_case"}
        for r in per_image:
            if r["attack"] in {m.name for m in members}:
                self.assertLessEqual(worst[(r["case_id"], r["eps"])], r["dice"] + 1e-7)
        self.assertEqual(len({r["case_id"] for r in per_image}), 4)
        self.assertIn("members", evaluator.state.robustness.settings["attack"])

    def test_sliding_window_inferer_is_attacked_through(self):
        net = threshold_net()
        inferer = SlidingWindowInferer(roi_size=(16, 16), sw_batch_size=2, overlap=0.25)
        evaluator = AdversarialEvaluator(
            "cpu", loader(), net, epsilons=[16], attack=PGD(alpha=2, steps=10, seed=0), inferer=inferer
        )
        evaluator.run()
        rows = rows_of(evaluator)
        self.assertLess(rows[("pgd", 16.0)]["dice"], rows[("pgd", 0.0)]["dice"] - 0.3)
        # the same attack on the network-behind-the-inferer, by hand
        items = blobs()
        images, labels = torch.stack([d["image"] for d in items]), torch.stack([d["label"] for d in items])
        model = InfererNetwork(net, inferer)
        adv = torch.cat([PGD(alpha=2, steps=10, seed=0)(model, images[i : i + 2], labels[i : i + 2], 16) for i in (0, 2)])
        pred = one_hot(model(adv).argmax(1, keepdim=True), 2)
        dice = DiceMetric(include_background=False)(pred, one_hot(labels, 2)).mean().item()
        self.assertAlmostEqual(rows[("pgd", 16.0)]["dice"], dice, places=5)

    def test_worst_case_on_3d_unet(self):
        torch.manual_seed(0)
        net = UNet(spatial_dims=3, in_channels=1, out_channels=2, channels=(4, 8), strides=(2,), num_res_units=0)
        g = torch.Generator().manual_seed(1)
        items = [
            {"image": torch.rand(1, 16, 16, 16, generator=g) * 255, "label": (torch.rand(1, 16, 16, 16, generator=g) > 0.5).float()}
            for _ in range(2)
        ]
        with tempfile.TemporaryDirectory() as out:
            evaluator = AdversarialEvaluator(
                "cpu", DataLoader(Dataset(items), batch_size=2), net, epsilons=[2, 8],
                attack=[TargetedIFGSM(), PGD(alpha=2, steps=2, seed=0)],
                checks=GradientMaskingChecks(unbounded_attacks=[PGD(steps=2, seed=0)]),
                val_handlers=[AdversarialPanelWriter(out, eps=8)],
            )
            evaluator.run()
            self.assertTrue(os.path.isfile(os.path.join(out, "robustness_panel_worst_case_eps8.png")))  # middle slice
        rows = rows_of(evaluator)
        self.assertEqual(rows[("worst_case", 8.0)]["n_images"], 2)
        self.assertIn(("check_unbounded", 255.0), rows)

    def test_masked_network_fails_black_box_check(self):
        """Rounding the input hides every gradient: white-box attacks stall, transfer does not (check d)."""
        members = [TargetedIFGSM(), PGD(alpha=2, steps=8, seed=0)]

        def checks():
            return GradientMaskingChecks(black_box=[TransferAttack(threshold_net(), PGD(alpha=2, steps=8, seed=1), name="transfer")])

        verdicts = {}
        for name, net in (("plain", threshold_net()), ("masked", RoundedInput(threshold_net()))):
            evaluator = AdversarialEvaluator("cpu", loader(), net, epsilons=[2, 8, 16], attack=members, checks=checks())
            evaluator.run()
            verdicts[name] = evaluator.state.robustness.checks
        self.assertTrue(all(c["passed"] for c in verdicts["plain"].values()), verdicts["plain"])
        self.assertFalse(verdicts["masked"]["black_box"]["passed"], verdicts["masked"])
        self.assertGreater(verdicts["masked"]["black_box"]["max_drop"], 0.05)

    def test_more_iterations_check_fails_where_the_worst_case_has_not_converged(self):
        """On a trained toy network the default members' worst case at 5 iterations has converged at eps 8 but
        not at eps 32: check c (the same chained procedure with twice the iterations) fails at eps 32 only, and
        passes at both once the budget is raised to 20."""
        images, label = disc_blobs(8, seed=1)
        data = DataLoader(Dataset([{"image": i, "label": l[None].float()} for i, l in zip(images, label)]), batch_size=8)
        per_eps = {}
        for iterations in (5, 20):
            members = [APGD(loss=loss, red_eps=True, iterations=iterations, seed=0) for loss in ("balanced_masked_ce", "js")]
            evaluator = AdversarialEvaluator(
                "cpu", data, trained_blob_net(), epsilons=[8, 32], attack=members, checks=GradientMaskingChecks()
            )
            evaluator.run()
            per_eps[iterations] = evaluator.state.robustness.checks["more_iterations"]["per_eps"]
        self.assertEqual({eps: v["passed"] for eps, v in per_eps[5].items()}, {"8": True, "32": False})
        self.assertGreater(per_eps[5]["32"]["drop"], 0.02)
        self.assertEqual({eps: v["passed"] for eps, v in per_eps[20].items()}, {"8": True, "32": True})

    def test_bundle_config_builds_attack_objects(self):
        config = {
            "network": {"_target_": "torch.nn.Conv2d", "in_channels": 1, "out_channels": 2, "kernel_size": 3, "padding": 1},
            "evaluator": {
                "_target_": "nlcen_monai.engines.AdversarialEvaluator",
                "device": "cpu",
                "val_data_loader": "$@loader",
                "network": "@network",
                "epsilons": [1, 2],
                "attack": {
                    "_target_": "nlcen_monai.attacks.WorstCaseAttack",
                    "attacks": [
                        {"_target_": "nlcen_monai.attacks.TargetedIFGSM"},
                        {"_target_": "nlcen_monai.attacks.PGD", "steps": 3, "alpha": 1, "seed": 0},
                    ],
                    "skip_broken": False,  # an untrained network may break every image before PGD's turn
                },
                "checks": {
                    "_target_": "nlcen_monai.robustness.GradientMaskingChecks",
                    "unbounded_attacks": [{"_target_": "nlcen_monai.attacks.PGD", "steps": 3, "seed": 0}],
                },
            },
        }
        parser = ConfigParser(config)
        parser["loader"] = loader()
        evaluator = parser.get_parsed_content("evaluator")
        self.assertIsInstance(evaluator, AdversarialEvaluator)
        evaluator.run()
        attacks = {r["attack"] for r in evaluator.state.robustness.rows}
        self.assertEqual(attacks, {"worst_case", "targeted_ifgsm", "pgd", "check_unbounded", "check_monotone", "check_more_iterations"})



class FadingAttack(SegmentationAttack):
    """Darkens the image by eps up to ``limit`` and gives up above it: Dice rises with eps, as under gradient masking."""

    name = "fading"

    def __init__(self, limit: float = 16.0) -> None:
        super().__init__(targeted=False)
        self.limit = float(limit)

    def cost(self, eps):
        return 0.0

    def perturb(self, model, images, y, eps):
        return images.clone() if eps > self.limit else (images - eps).clamp(0, 255)


def image_dice(evaluator, attack):
    return {(r["case_id"], r["eps"]): r["dice"] for r in evaluator.state.robustness.per_image if r["attack"] == attack}


class TestChecksStartWhereTheFigureIs(unittest.TestCase):
    """The checks start from the recorded worst-case images, and check a can fail for a chained worst case."""

    def evaluate(self, folder, checks=None, **kwargs):
        evaluator = AdversarialEvaluator(
            "cpu", loader(), threshold_net(), epsilons=[8, 16], attack=[PGD(alpha=2, steps=8, seed=0)], checks=checks,
            worst_images_dir=os.path.join(folder, "worst_case_images"), val_handlers=[RobustnessTableWriter(folder)],
            **kwargs,
        )
        evaluator.run()
        return evaluator

    def test_resumed_checks_start_from_the_recorded_worst_case(self):
        with tempfile.TemporaryDirectory() as tmp:
            first = self.evaluate(tmp)
            recorded = image_dice(first, "worst_case")
            self.assertLess(min(recorded.values()), 0.5)  # eps 16 breaks the threshold network
            self.assertEqual(len(os.listdir(os.path.join(tmp, "worst_case_images"))), 4)
            roles = {r["attack"]: r["role"] for r in first.state.robustness.per_image}
            self.assertEqual(roles, {"worst_case": "evaluated", "pgd": "member"})
            # resumed with the checks: only their rows are missing. Were the worst case recomputed (today an
            # attack that finds nothing stands for a different random draw), check c would start from images
            # above the figure and come out above it; from the recorded images it cannot.
            checks = GradientMaskingChecks(unbounded_attacks=[PGD(steps=2, seed=0)])
            with unittest.mock.patch.object(PGD, "perturb", lambda self, model, x, y, eps, **kw: x.clone()):
                second = self.evaluate(tmp, checks=checks)
            self.assertEqual(image_dice(second, "worst_case"), recorded)
            roles = {r["attack"]: r["role"] for r in second.state.robustness.per_image}
            self.assertEqual({a: r for a, r in roles.items() if a.startswith("check_")},
                             {"check_more_iterations": "check", "check_unbounded": "check", "check_monotone": "check"})
            checked = image_dice(second, CHECK_MORE_ITERATIONS)
            self.assertEqual(len(checked), 8)
            for key, dice in checked.items():
                self.assertLessEqual(dice, recorded[key] + 1e-9, key)
            at16 = second.state.robustness.checks["more_iterations"]["per_eps"]["16"]
            self.assertEqual((at16["n_images"], at16["drop"], at16["passed"]), (4, 0.0, True))

    def test_without_checks_no_image_is_kept(self):
        """The images are kept for the checks only: a plain evaluation (e.g. the paper's 18 intensities) holds none."""
        evaluator = AdversarialEvaluator("cpu", loader(), threshold_net(), epsilons=[8, 16], attack=[PGD(steps=2, seed=0)])
        evaluator.run()
        self.assertEqual(evaluator.worst_images._memory, {})

    def test_checks_on_a_sample_of_the_images(self):
        checks = GradientMaskingChecks(unbounded_attacks=[PGD(steps=2, seed=0)], sample=0.5, sample_seed=1)
        with tempfile.TemporaryDirectory() as tmp:
            evaluator = self.evaluate(tmp, checks=checks)
            result = evaluator.state.robustness
            ids = sorted({c for c, _ in image_dice(evaluator, "worst_case")})
            sampled = [c for c in ids if checks.in_sample(c)]
            self.assertTrue(0 < len(sampled) < len(ids), sampled)  # this seed draws some of the 4 images, not all
            self.assertEqual(sorted({c for c, _ in image_dice(evaluator, CHECK_MORE_ITERATIONS)}), sampled)
            self.assertEqual(sorted({c for c, _ in image_dice(evaluator, CHECK_MONOTONE)}), sampled)
            at16 = result.checks["more_iterations"]["per_eps"]["16"]
            self.assertEqual((at16["n_images"], at16["subset"]), (len(sampled), True))
            # resumed, nothing is missing: nothing is attacked again
            before = dict(result.passes)
            again = self.evaluate(tmp, checks=checks)
            self.assertEqual(again.state.robustness.passes["run"], before["run"])

    def test_monotone_check_runs_unchained_and_can_fail(self):
        """A chained worst case never rises with eps, so check a judged on it passes a masked model; unchained, it fails."""
        with tempfile.TemporaryDirectory() as tmp:
            evaluator = AdversarialEvaluator(
                "cpu", loader(), threshold_net(), epsilons=[16, 32], attack=[FadingAttack()],
                checks=GradientMaskingChecks(unbounded_attacks=[PGD(steps=2, seed=0)]),
                worst_images_dir=os.path.join(tmp, "worst_case_images"),
            )
            evaluator.run()
        worst, unchained = image_dice(evaluator, "worst_case"), image_dice(evaluator, CHECK_MONOTONE)
        self.assertTrue(all(worst[(c, 32.0)] <= worst[(c, 16.0)] for c, _ in worst))  # chained: cannot rise
        self.assertTrue(all(unchained[(c, 32.0)] > unchained[(c, 16.0)] + 0.5 for c, _ in unchained))
        monotone = evaluator.state.robustness.checks["monotone"]
        self.assertEqual(monotone["attacks"], [CHECK_MONOTONE])
        self.assertFalse(monotone["passed"])
        self.assertGreater(monotone["max_rise"], 0.5)


def other_net() -> nn.Module:
    """``threshold_net`` with one weight changed."""
    net = threshold_net()
    with torch.no_grad():
        net.bias[1] += 0.5
    return net


def folder_bytes(folder) -> dict[str, bytes]:
    return {name: open(os.path.join(folder, name), "rb").read() for name in sorted(os.listdir(folder))}


class TestTheStoreKnowsItsModel(unittest.TestCase):
    """A store records the fingerprint of the weights its rows belong to; another model's run refuses to resume from it."""

    def evaluate(self, folder, net, resume=True):
        evaluator = AdversarialEvaluator("cpu", loader(), net, epsilons=[8], attack="targeted_ifgsm",
                                         val_handlers=[RobustnessTableWriter(folder, resume=resume)])
        evaluator.run()
        return evaluator

    def test_other_weights_are_refused_and_the_same_resume(self):
        with tempfile.TemporaryDirectory() as tmp:
            first = self.evaluate(tmp, threshold_net())
            fingerprint = model_fingerprint(threshold_net())
            self.assertEqual(first.state.robustness.settings[MODEL_KEY], fingerprint)
            self.assertEqual(first.state.robustness_run.settings[MODEL_KEY], fingerprint)
            stored = folder_bytes(tmp)
            self.assertEqual(json.loads(stored["robustness.json"])["settings"][MODEL_KEY], fingerprint)
            # other weights, same folder: refused before any attack, the files untouched
            for resume in (True, False):
                with self.assertRaises(ValueError) as raised:
                    with unittest.mock.patch.object(WorstCaseAttack, "run", side_effect=AssertionError("attacked")):
                        self.evaluate(tmp, other_net(), resume=resume)
                message = str(raised.exception)
                self.assertIn(f"the stored robustness results in {tmp} were made with another model", message)
                self.assertIn(f"(fingerprint {fingerprint}, now {model_fingerprint(other_net())})", message)
                self.assertEqual(len(message.splitlines()), 1)
                self.assertEqual(folder_bytes(tmp), stored)
            # the same weights (another object): resumed, nothing attacked again
            again = self.evaluate(tmp, threshold_net())
            self.assertEqual(again.state.robustness_run.per_image, [])
            self.assertEqual(again.state.robustness_run.passes["run"], 0.0)
            self.assertEqual(again.state.robustness.per_image, first.state.robustness.per_image)
            self.assertEqual(again.state.robustness.settings[MODEL_KEY], fingerprint)

    def test_a_journal_of_another_model_stops_the_run(self):
        with tempfile.TemporaryDirectory() as tmp:
            first = self.evaluate(tmp, threshold_net())
            journal = first.state.robustness.copy()
            journal.settings = {**journal.settings, MODEL_KEY: model_fingerprint(other_net())}
            journal.images = {k: {**r, "dice": 0.0} for k, r in journal.images.items()}  # not merged into the main files
            journal.save(ResultFiles.in_dir(tmp).journal(1))
            with self.assertRaisesRegex(ValueError, r"robustness\.rank1\.json: this journal was made with another model"):
                self.evaluate(tmp, threshold_net())

    def test_an_older_store_without_the_model_is_accepted_and_gets_it(self):
        with tempfile.TemporaryDirectory() as tmp:
            first = self.evaluate(tmp, threshold_net())
            path = os.path.join(tmp, "robustness.json")
            with open(path) as f:
                report = json.load(f)
            del report["settings"][MODEL_KEY]  # as written before the fingerprint was recorded
            with open(path, "w") as f:
                json.dump(report, f)
            again = self.evaluate(tmp, threshold_net())
            self.assertEqual(again.state.robustness_run.per_image, [])
            self.assertEqual(again.state.robustness.per_image, first.state.robustness.per_image)
            with open(path) as f:
                self.assertEqual(json.load(f)["settings"][MODEL_KEY], model_fingerprint(threshold_net()))

    def test_a_record_of_its_own_is_fingerprinted_at_every_run(self):
        """A validation evaluator run once per training epoch (no results store): each run starts from an empty record,
        is never refused, and records the weights it evaluated, taken when the epoch starts (after a loader)."""
        net = threshold_net()
        evaluator = AdversarialEvaluator("cpu", loader(), net, epsilons=[8])
        evaluator.run()
        self.assertEqual(evaluator.state.robustness.settings[MODEL_KEY], model_fingerprint(threshold_net()))
        net.load_state_dict(other_net().state_dict())  # the next epoch's weights
        evaluator.run()
        self.assertEqual(evaluator.state.robustness.settings[MODEL_KEY], model_fingerprint(other_net()))
        self.assertEqual(len(evaluator.state.robustness_run.per_image), 8)  # attacked again: its own rows
        self.assertNotIn(MODEL_KEY, evaluator.settings)
        # the weights loaded at STARTED (as the bundle's CheckpointLoader does) are the ones fingerprinted
        late = AdversarialEvaluator("cpu", loader(), threshold_net(), epsilons=[8])
        late.add_event_handler(Events.STARTED, lambda engine: engine.network.load_state_dict(other_net().state_dict()))
        late.run()
        self.assertEqual(late.state.robustness.settings[MODEL_KEY], model_fingerprint(other_net()))


def named_blobs(n: int) -> list[dict]:
    """``blobs`` whose images name their files, as loaded ones do (case ids case0, case1, ...)."""
    return [{**item, "image": MetaTensor(item["image"], meta={"filename_or_obj": f"/data/case{i}.png"})}
            for i, item in enumerate(blobs(n))]


class TestAResumedRunSharesThePendingImages(unittest.TestCase):
    """Under torchrun each rank takes its positions of the data set; a resumed run whose finished images sit at one
    rank's positions gives that rank nothing to do unless the sampler deals the pending images out first."""

    def evaluate(self, folder, items, sampler=None):
        data = Dataset(items)
        evaluator = AdversarialEvaluator(
            "cpu", DataLoader(data, batch_size=1, sampler=None if sampler is None else sampler(data)), threshold_net(),
            epsilons=[8], attack="targeted_ifgsm", val_handlers=[RobustnessTableWriter(folder)])
        evaluator.run()
        return evaluator

    def test_rank_zero_gets_its_share_of_the_pending_images(self):
        items = named_blobs(6)
        for sampler, attacked in ((DistributedSampler, []), (PendingFirstSampler, ["case1", "case5"])):
            with tempfile.TemporaryDirectory() as tmp:
                self.evaluate(tmp, items[0::2])  # an earlier run finished rank 0's positions: case0, case2, case4
                rank0 = self.evaluate(tmp, items, lambda data: sampler(data, even_divisible=False, num_replicas=2,
                                                                         rank=0, shuffle=False))
                done = sorted({row["case_id"] for row in rank0.state.robustness_run.per_image})
                self.assertEqual(done, attacked, sampler.__name__)
                if sampler is PendingFirstSampler:  # rank 1 takes case3 (and two finished ones)
                    self.assertEqual(rank0.data_loader.sampler.pending, [False, True, False, True, False, True])

    def test_items_without_file_names_leave_the_order_alone(self):
        with tempfile.TemporaryDirectory() as tmp:
            evaluator = self.evaluate(tmp, blobs(4), lambda data: PendingFirstSampler(data, num_replicas=1, rank=0))
            self.assertIsNone(evaluator.data_loader.sampler.pending)
            self.assertEqual(len(evaluator.state.robustness_run.per_image), 8)


if __name__ == "__main__":
    unittest.main()
