"""Renders the app icons' PNGs from their SVGs with Debian's Chromium (run after editing an SVG):

    .venv/bin/python static/icons/render.py

Browsers that install the app want PNGs of 192 and 512 px (purpose "any") and a maskable one;
the SVGs are the source. The PNGs are committed, so serving needs no image library. Where
Debian's pngquant is installed (apt-get install pngquant) they are quantised: ~4x smaller, and
Chrome fetches them on a first visit to check installability.
"""

import shutil
import subprocess
from pathlib import Path

from playwright.sync_api import sync_playwright

HERE = Path(__file__).resolve().parent
SIZES = {"app": (192, 512), "app-maskable": (512,), "discreet": (192, 512),
         "discreet-maskable": (512,)}


def main() -> None:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium",
                                             args=["--no-sandbox", "--disable-gpu"])
        for name, sizes in SIZES.items():
            svg = (HERE / f"{name}.svg").read_text(encoding="utf-8")
            for size in sizes:
                page = browser.new_page(viewport={"width": size, "height": size})
                page.set_content(f'<style>html,body{{margin:0}}svg{{display:block;width:{size}px;'
                                 f'height:{size}px}}</style>{svg}')
                png = HERE / f"{name}-{size}.png"
                page.screenshot(path=str(png), omit_background=True)
                page.close()
                if shutil.which("pngquant"):
                    subprocess.run(["pngquant", "--force", "--quality=60-90", "--speed", "1",
                                    "--strip", "--output", str(png), str(png)], check=True)
        browser.close()


if __name__ == "__main__":
    main()
