"""The accreditation registry: who accredited which awarding body, for what, and who says so.

An accrediting authority (a DID the verifier pins) signs the list of agencies it recognises;
each agency signs one record per organisation it accredits; a registry file bundles them. The
modules, each importing only those listed before it:

- :mod:`~verifier.registry.vocabulary`: the values limits are written in (EQF levels, ISCED-F
  fields, countries, NUTS regions) and :class:`~verifier.registry.vocabulary.RegistryFormatError`;
- :mod:`~verifier.registry.model`: the credentials' frame, the reason codes, and the types
  (limits, agencies, records, refused records, the registry, an assessment);
- :mod:`~verifier.registry.load`: verifying and parsing a registry document or file;
- :mod:`~verifier.registry.assess`: whether an accreditation covers a credential's awarding
  bodies or issuer;
- :mod:`~verifier.registry.author`: building and signing the credentials and the registry file;
- :mod:`~verifier.registry.cli`: the ``microcred registry`` commands.
"""
