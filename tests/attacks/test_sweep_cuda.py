"""On CUDA only: the shared-prefix sweep equals the per-intensity loop with deterministic kernels."""

from __future__ import annotations

import os
import unittest
import warnings

import numpy as np
import torch

from nlcen_monai.attacks import TargetedIFGSM, inverse_target, sweep
from nlcen_monai.metrics import per_image_scores
from nlcen_monai.data.phantoms import chest_phantom
from nlcen_monai.networks.nets import NLCEN, PixelNormalizedNet

EPSILONS = [0.5, 2, 4, 8]


@unittest.skipUnless(torch.cuda.is_available(), "needs a CUDA device")
class TestSweepCUDA(unittest.TestCase):
    def setUp(self):
        os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")
        self.flags = (torch.are_deterministic_algorithms_enabled(), torch.backends.cudnn.deterministic,
                      torch.backends.cudnn.benchmark, torch.backends.cuda.matmul.allow_tf32, torch.backends.cudnn.allow_tf32)
        torch.use_deterministic_algorithms(True, warn_only=True)
        torch.backends.cudnn.deterministic, torch.backends.cudnn.benchmark = True, False
        torch.backends.cuda.matmul.allow_tf32 = torch.backends.cudnn.allow_tf32 = False

    def tearDown(self):
        deterministic, cudnn_det, bench, tf32_mm, tf32_cudnn = self.flags
        torch.use_deterministic_algorithms(deterministic)
        torch.backends.cudnn.deterministic, torch.backends.cudnn.benchmark = cudnn_det, bench
        torch.backends.cuda.matmul.allow_tf32, torch.backends.cudnn.allow_tf32 = tf32_mm, tf32_cudnn

    def test_sweep_equals_loop_deterministic(self):
        torch.manual_seed(0)
        net = NLCEN(spatial_dims=2, in_channels=1, out_channels=2, backbone="resnet18", fpn_channels=32, widen_factor=0.25)
        model = PixelNormalizedNet(net).cuda().eval()
        pairs = [chest_phantom(64, i) for i in range(2)]
        images = torch.as_tensor(np.stack([p[0] for p in pairs])[:, None], dtype=torch.float32).round().cuda()
        labels = torch.as_tensor(np.stack([p[1] for p in pairs])[:, None], dtype=torch.float32).cuda()
        target = inverse_target(labels)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            loop = {float(e): TargetedIFGSM()(model, images, labels, e) for e in EPSILONS}
            swept = sweep(model, images, target, EPSILONS, max_batch=images.shape[0])
        nondeterministic = {str(w.message).split(" does not")[0] for w in caught if "deterministic" in str(w.message)}
        with torch.no_grad():
            for eps in loop:
                pred_loop = model(loop[eps]).argmax(1, keepdim=True)
                pred_sweep = model(swept[eps]).argmax(1, keepdim=True)
                if nondeterministic:  # no bit-exactness to expect: the Dice must still agree closely
                    d_loop, _ = per_image_scores(pred_loop, labels, 2)
                    d_sweep, _ = per_image_scores(pred_sweep, labels, 2)
                    self.assertLess(float((d_loop - d_sweep).abs().max()), 0.01, (eps, nondeterministic))
                else:
                    self.assertTrue(torch.equal(loop[eps], swept[eps]), eps)


if __name__ == "__main__":
    unittest.main()
