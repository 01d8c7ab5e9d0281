"""nlcen-monai: the Non-Local Context Encoder (He et al., AAAI 2019) and adversarial robustness evaluation on MONAI.

Subpackages: ``networks`` (NLCE blocks, NLCEN, baselines), ``losses``, ``attacks``, ``engines``,
``handlers``, ``robustness`` (the results store, metric keys, gradient-masking checks), ``metrics``
(per-image Dice and Jaccard), ``data``, ``workflows`` (helpers the bundles call), ``compare`` and ``visualize``.
"""

__version__ = "0.1.0"
