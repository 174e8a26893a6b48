"""JAdES seals (ETSI TS 119 182-1): the EU's own tool seals credentials this way.

:func:`verifier.jades.verify.verify_jades` is the entry point; its module notes say every step
and outcome. The modules, each importing only those listed before it:

- :mod:`~verifier.jades.errors`: the stable result codes and the ``Failure`` a step raises;
- :mod:`~verifier.jades.encoding`: strict base64url / base64, JSON objects, DER certificates;
- :mod:`~verifier.jades.results`: the signer, each signature's result, the seal's result;
- :mod:`~verifier.jades.serialization`: the JWS JSON forms, headers, ``x5c``, ``sigT``,
  ``etsiU``;
- :mod:`~verifier.jades.signature`: the algorithm, the signature value, the signing time and the
  signing certificate's key usage;
- :mod:`~verifier.jades.timestamps`: RFC 3161 tokens (``adoTst``, ``sigTst``, ``arcTst``) and
  their message imprints;
- :mod:`~verifier.jades.chain`: certificate paths to the trust anchors, revocation data, the
  time a chain is judged at;
- :mod:`~verifier.jades.verify`: :func:`~verifier.jades.verify.verify_jades`, every signature
  of a seal in order.
"""
