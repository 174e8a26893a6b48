"""ecdsa-rdfc-2019 (W3C vc-di-ecdsa): ECDSA over RDFC-1.0; SHA-256 on P-256, SHA-384 on P-384."""

from keys.cryptosuites.base import Cryptosuite
from keys.keypairs import Algorithm

NAME = "ecdsa-rdfc-2019"
SUITE = Cryptosuite(name=NAME, hash_names={Algorithm.P256: "sha256", Algorithm.P384: "sha384"})
