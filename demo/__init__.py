"""The demo: the one package that knows both the issuer and the verifier.

- :mod:`demo.reference`: the reference micro-credential, its partners and keys (benchmarks, tests);
- :mod:`demo.partnership`: the demo partnership in the issuer's database;
- :mod:`demo.registry`: a demo accreditation registry that makes the verifier trust it;
- :mod:`demo.cli`: ``microcred demo …``;
- :mod:`demo.run`: ``make run`` (both services from the ``Procfile``, under honcho).

Neither the issuer nor the verifier imports this package.
"""
