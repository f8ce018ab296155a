"""Regenerate the example campaign in this folder from its fixed seeds (same as `cidlab data`)."""
from pathlib import Path

from cidlab.campaign import write_campaign

if __name__ == "__main__":
    for f in write_campaign(Path(__file__).resolve().parent):
        print("wrote", f.name)
