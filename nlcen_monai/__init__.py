"""nlcen-monai: the Non-Local Context Encoder (He et al., AAAI 2019) and adversarial robustness evaluation on MONAI.

Subpackages: ``networks`` (NLCE blocks, NLCEN, baselines), ``losses``, ``attacks``, ``engines``,
``handlers``, ``data``, ``workflows`` (helpers the bundles call), ``compare`` and ``visualize``.
"""

__version__ = "0.1.0"
