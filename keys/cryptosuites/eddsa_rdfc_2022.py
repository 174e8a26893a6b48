"""eddsa-rdfc-2022 (W3C vc-di-eddsa): Ed25519 over RDFC-1.0 with SHA-256."""

from keys.cryptosuites.base import Cryptosuite
from keys.keypairs import Algorithm

NAME = "eddsa-rdfc-2022"
SUITE = Cryptosuite(name=NAME, hash_names={Algorithm.ED25519: "sha256"})
