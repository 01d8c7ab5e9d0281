"""The fingerprint of the model a robustness record belongs to, and the store keeping it (nlcen_monai.robustness.fingerprint)."""

from __future__ import annotations

import tempfile
import unittest

import torch
import torch.nn as nn

from nlcen_monai.robustness import (
    MODEL_KEY,
    ResultFiles,
    RobustnessResult,
    check_same_model,
    model_fingerprint,
    models_differ,
    recorded_settings,
)
from tests.workflows.test_release import small_net as net  # conv, batch norm (buffers), conv


def record(model: str | None, case: str = "a", eps: float = 8.0) -> RobustnessResult:
    settings = {"attack": {"name": "pgd"}, **({} if model is None else {MODEL_KEY: model})}
    result = RobustnessResult(attack="pgd", settings=settings)
    result.add([{"case_id": case, "attack": "pgd", "eps": eps, "dice": 0.5, "jaccard": 0.3, "passes": 10.0}], run=10)
    return result


class TestModelFingerprint(unittest.TestCase):
    def test_only_two_known_fingerprints_can_differ(self):
        """The one rule of the store's refusals: an unknown fingerprint (an older record) differs from nothing."""
        self.assertTrue(models_differ("aaaa", "bbbb"))
        for first, second in (("aaaa", "aaaa"), ("aaaa", None), (None, "bbbb"), ("", "bbbb"), (None, None)):
            self.assertFalse(models_differ(first, second), (first, second))

    def test_same_weights_same_digest(self):
        a, b = net(0), net(0)
        self.assertEqual(model_fingerprint(a), model_fingerprint(b))
        self.assertRegex(model_fingerprint(a), r"^[0-9a-f]{16}$")
        self.assertEqual(model_fingerprint(a), model_fingerprint(a.state_dict()))
        self.assertEqual(len(model_fingerprint(a, length=64)), 64)

    def test_a_changed_weight_or_buffer_changes_the_digest(self):
        a, b = net(0), net(0)
        with torch.no_grad():
            b[2].bias[0] += 1e-6
        self.assertNotEqual(model_fingerprint(a), model_fingerprint(b))
        c = net(0)
        c[1].running_mean.add_(1.0)  # a buffer changes what the network predicts in eval mode
        self.assertNotEqual(model_fingerprint(a), model_fingerprint(c))
        self.assertNotEqual(model_fingerprint(net(0)), model_fingerprint(net(1)))

    def test_dtype_and_shape_are_part_of_it(self):
        flat = {"w": torch.zeros(4)}
        self.assertNotEqual(model_fingerprint(flat), model_fingerprint({"w": torch.zeros(2, 2)}))
        self.assertNotEqual(model_fingerprint(flat), model_fingerprint({"w": torch.zeros(4, dtype=torch.int32)}))
        self.assertNotEqual(model_fingerprint(flat), model_fingerprint({"v": torch.zeros(4)}))
        model_fingerprint({"w": torch.zeros(3, dtype=torch.bfloat16), "n": torch.tensor(5), "e": torch.zeros(0)})

    def test_a_wrapped_network_has_the_bare_one_s_digest(self):
        a = net(0)
        prefixed = {f"module.{k}": v for k, v in a.state_dict().items()}
        self.assertEqual(model_fingerprint(prefixed), model_fingerprint(a))
        self.assertEqual(model_fingerprint(nn.DataParallel(a)), model_fingerprint(a))
        strided = torch.arange(6.0).reshape(3, 2).t()  # not contiguous: hashed as its values, in order
        self.assertFalse(strided.is_contiguous())
        self.assertEqual(model_fingerprint({"w": strided}), model_fingerprint({"w": strided.contiguous()}))
        with self.assertRaisesRegex(ValueError, "twice"):
            model_fingerprint({"w": torch.zeros(1), "module.w": torch.zeros(1)})

    def test_check_same_model(self):
        check_same_model({}, "abc")  # an older store names no model
        check_same_model({MODEL_KEY: "abc"}, "abc")
        check_same_model({MODEL_KEY: "abc"}, None)
        with self.assertRaisesRegex(ValueError, r"in /x/y were made with another model \(fingerprint abc, now def\)"):
            check_same_model({MODEL_KEY: "abc"}, "def", "/x/y")


class TestTheStoreKeepsTheModel(unittest.TestCase):
    def test_recorded_settings_and_merged_keep_the_model(self):
        self.assertEqual(recorded_settings({MODEL_KEY: "abc"}, {"attack": {"name": "pgd"}})[MODEL_KEY], "abc")
        self.assertEqual(recorded_settings({MODEL_KEY: "abc"}, {MODEL_KEY: "def"})[MODEL_KEY], "def")
        self.assertNotIn(MODEL_KEY, recorded_settings({}, {"attack": {"name": "pgd"}}))
        without = RobustnessResult(attack="pgd", settings={"attack": {"name": "pgd"}})
        self.assertEqual(record("abc").merged(without).settings[MODEL_KEY], "abc")
        self.assertEqual(without.merged(record("abc")).settings[MODEL_KEY], "abc")

    def test_saved_and_loaded_with_the_model_and_where_from(self):
        with tempfile.TemporaryDirectory() as tmp:
            files = ResultFiles.in_dir(tmp)
            record("abc").save(files)
            loaded = RobustnessResult.load(files)
            self.assertEqual(loaded.settings[MODEL_KEY], "abc")
            self.assertEqual(loaded.origin, tmp)
            self.assertEqual(loaded, record("abc"))  # where it was read from is no part of the result

    def test_journals_of_another_model_are_not_merged(self):
        with tempfile.TemporaryDirectory() as tmp:
            files = ResultFiles.in_dir(tmp)
            record("abc").save(files)
            record("abc", case="b").save(files.journal(0))
            record(None, case="c").save(files.journal(1))  # a journal without the key is accepted
            merged = RobustnessResult.load(files)
            self.assertEqual((len(merged.images), merged.settings[MODEL_KEY]), (3, "abc"))
            record("def", case="d").save(files.journal(2))
            with self.assertRaisesRegex(ValueError, r"robustness\.rank2\.json: this journal was made with another model"):
                RobustnessResult.load(files)
            self.assertEqual(len(RobustnessResult.load(files, journals=False).images), 1)

    def test_an_older_store_without_the_model_takes_its_journals(self):
        with tempfile.TemporaryDirectory() as tmp:
            files = ResultFiles.in_dir(tmp)
            record(None).save(files)
            record("abc", case="b").save(files.journal(0))
            self.assertEqual(RobustnessResult.load(files).settings[MODEL_KEY], "abc")


if __name__ == "__main__":
    unittest.main()
