"""nlcen-monai: the Non-Local Context Encoder (He et al., AAAI 2019) and adversarial robustness evaluation on MONAI.

Subpackages: ``networks`` (NLCE blocks, NLCEN, baselines), ``losses``, ``attacks``, ``engines``,
``handlers``, ``robustness`` (the results store, metric keys, gradient-masking checks), ``metrics``
(per-image Dice and Jaccard), ``defense``, ``data`` (what a bundle reads at run time), ``prep`` (the
converters' toolkit), ``inference`` (segmenting new images: screened inputs, quality flags, the
``Segmenter``), ``workflows`` (helpers the bundles call), ``compare``, ``visualize``, ``reports`` (tables
generated from the records in ``results/``) and ``utils``. The README's "Layout" section gives each one's job.
"""

__version__ = "0.1.0"
