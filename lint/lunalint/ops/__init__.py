"""Operating the egress client: Prometheus rules, ``lunalint probe`` and ``lunalint doctor``."""
