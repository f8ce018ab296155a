"""Regenerate the data in this folder from its fixed seeds: the example campaign (same as `cidlab data`) and the
capstone case in `capstone/` (lesson 09)."""
from pathlib import Path

from cidlab.campaign import write_campaign
from cidlab.capstone import write_capstone

if __name__ == "__main__":
    here = Path(__file__).resolve().parent
    for f in write_campaign(here):
        print("wrote", f.name)
    for f in write_capstone(here / "capstone"):
        print("wrote", f"capstone/{f.name}")
