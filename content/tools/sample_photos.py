#!/usr/bin/env python3
"""Draws the sample catalog's product photos: a simple, product-like illustration per product
(a coffee pouch, a chip bag, a honey jar, a batik cloth, a basket, ...), chosen by category and
name, with the product's name on its label. The pictures are stand-ins until the gallery
photographs the real products; delete this script with them.

    python3 -m venv .venv && .venv/bin/pip install pillow
    .venv/bin/python content/tools/sample_photos.py          # every product without a photo
    .venv/bin/python content/tools/sample_photos.py --all    # redraw every sample photo

Each picture is written beside its page as `<product>.jpg` (720x540, ~20 KB) and named in the
page's `images:` key. Drawing is deterministic (seeded by the product's slug).
"""
import hashlib
import math
import random
import re
import sys
from pathlib import Path

from PIL import Image, ImageDraw, ImageFilter, ImageFont

W, H = 720, 540
CONTENT = Path(__file__).resolve().parent.parent
FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf"

# Background and product colours per category.
PALETTE = {
    "kopi": ((236, 222, 203), [(92, 58, 36), (40, 40, 40), (150, 90, 40), (120, 30, 30)]),
    "makanan-ringan": ((250, 236, 205), [(214, 64, 40), (240, 170, 30), (40, 120, 60), (200, 40, 90)]),
    "minuman": ((222, 238, 230), [(230, 120, 30), (180, 30, 50), (90, 150, 40), (240, 190, 40)]),
    "sembako": ((240, 230, 212), [(150, 100, 50), (200, 150, 60), (120, 80, 40)]),
    "makanan-beku": ((220, 234, 244), [(40, 100, 170), (30, 140, 160), (200, 60, 50)]),
    "olahan-susu": ((226, 236, 246), [(250, 250, 250), (240, 220, 230), (250, 240, 210)]),
    "madu": ((246, 236, 210), [(214, 150, 20), (190, 110, 10), (230, 170, 40)]),
    "herbal-jamu": ((232, 240, 220), [(190, 60, 30), (220, 160, 30), (90, 140, 50), (140, 90, 40)]),
    "fesyen": ((238, 232, 240), [(60, 80, 140), (160, 40, 60), (40, 110, 100), (90, 60, 120)]),
    "batik-tenun": ((242, 234, 220), [(110, 50, 20), (30, 40, 90), (140, 90, 30), (60, 30, 20)]),
    "kriya": ((236, 230, 220), [(170, 120, 60), (150, 70, 40), (110, 80, 50), (190, 150, 90)]),
}


def front_matter(text):
    match = re.match(r"---\n(.*?)\n---\n", text, re.S)
    return match.group(1) if match else ""


def field(yaml, key):
    match = re.search(rf"^{key}:\s*(.+)$", yaml, re.M)
    return match.group(1).strip().strip('"') if match else ""


def shade(color, factor):
    return tuple(max(0, min(255, int(c * factor))) for c in color)


def background(draw, base, rng):
    for y in range(H):
        t = y / H
        draw.line([(0, y), (W, y)], fill=shade(base, 1.04 - 0.1 * t))
    table = shade(base, 0.82)
    draw.rectangle([0, int(H * 0.72), W, H], fill=table)
    draw.line([(0, int(H * 0.72)), (W, int(H * 0.72))], fill=shade(table, 0.9), width=3)


def shadow(image, box):
    layer = Image.new("RGBA", image.size, (0, 0, 0, 0))
    ImageDraw.Draw(layer).ellipse(box, fill=(0, 0, 0, 70))
    layer = layer.filter(ImageFilter.GaussianBlur(14))
    image.alpha_composite(layer)


def label(draw, box, name, color=(255, 252, 240), ink=(40, 30, 20)):
    x0, y0, x1, y1 = box
    draw.rounded_rectangle(box, radius=10, fill=color)
    words, lines, line = name.split(), [], ""
    size = 22
    font = ImageFont.truetype(FONT, size)
    for word in words:
        trial = (line + " " + word).strip()
        if draw.textlength(trial, font=font) > (x1 - x0 - 20) and line:
            lines.append(line)
            line = word
        else:
            line = trial
    lines.append(line)
    lines = lines[:3]
    total = len(lines) * (size + 6)
    y = y0 + ((y1 - y0) - total) / 2
    for text in lines:
        width = draw.textlength(text, font=font)
        draw.text((x0 + ((x1 - x0) - width) / 2, y), text, font=font, fill=ink)
        y += size + 6


def pouch(image, draw, color, name, rng):
    shadow(image, (200, 440, 520, 500))
    draw.rounded_rectangle((230, 110, 490, 470), radius=22, fill=color)
    draw.rectangle((230, 110, 490, 150), fill=shade(color, 0.8))
    for x in range(236, 490, 10):
        draw.line([(x, 112), (x, 148)], fill=shade(color, 0.65), width=2)
    label(draw, (255, 230, 465, 370), name)
    draw.ellipse((330, 390, 390, 440), fill=shade(color, 1.3))


def beans(draw, rng, color=(70, 40, 20)):
    for _ in range(14):
        x, y = rng.randint(60, 660), rng.randint(420, 520)
        if 200 < x < 520 and y < 480:
            continue
        draw.ellipse((x, y, x + 34, y + 24), fill=color)
        draw.arc((x + 6, y + 2, x + 28, y + 22), 250, 110, fill=shade(color, 0.55), width=3)


def chip_bag(image, draw, color, name, rng):
    shadow(image, (190, 440, 530, 500))
    draw.polygon([(220, 120), (500, 120), (520, 300), (500, 470), (220, 470), (200, 300)], fill=color)
    for y in (120, 470):
        for x in range(220, 500, 14):
            draw.polygon([(x, y), (x + 7, y + (10 if y == 120 else -10)), (x + 14, y)], fill=shade(color, 0.75))
    draw.ellipse((260, 160, 460, 250), fill=shade(color, 1.35))
    label(draw, (245, 270, 475, 400), name)
    for _ in range(6):
        x, y = rng.randint(60, 180), rng.randint(400, 500)
        draw.polygon([(x, y), (x + 40, y - 8), (x + 52, y + 18), (x + 10, y + 26)], fill=(230, 190, 90))
        x += 480
        draw.polygon([(x, y), (x + 40, y - 8), (x + 52, y + 18), (x + 10, y + 26)], fill=(225, 180, 80))


def bottle(image, draw, color, name, rng):
    shadow(image, (250, 455, 470, 505))
    draw.rounded_rectangle((270, 200, 450, 480), radius=30, fill=color)
    draw.rectangle((330, 120, 390, 210), fill=color)
    draw.rounded_rectangle((322, 92, 398, 130), radius=6, fill=shade(color, 0.6))
    draw.rectangle((286, 220, 300, 460), fill=shade(color, 1.25))
    label(draw, (280, 280, 440, 410), name)


def jar(image, draw, color, name, rng, lid=(120, 70, 30)):
    shadow(image, (220, 450, 500, 505))
    draw.rounded_rectangle((240, 170, 480, 480), radius=36, fill=color)
    draw.rounded_rectangle((250, 120, 470, 180), radius=10, fill=lid)
    draw.rectangle((262, 200, 280, 450), fill=shade(color, 1.2))
    label(draw, (265, 270, 455, 400), name)


def box(image, draw, color, name, rng):
    shadow(image, (170, 445, 550, 505))
    draw.polygon([(200, 180), (480, 180), (530, 140), (250, 140)], fill=shade(color, 1.2))
    draw.polygon([(480, 180), (530, 140), (530, 430), (480, 475)], fill=shade(color, 0.7))
    draw.rectangle((200, 180, 480, 475), fill=color)
    label(draw, (220, 250, 460, 400), name)


def shirt(image, draw, color, name, rng):
    shadow(image, (180, 450, 540, 505))
    draw.polygon([(270, 110), (450, 110), (560, 180), (520, 250), (480, 225), (480, 470), (240, 470), (240, 225), (200, 250), (160, 180)], fill=color)
    draw.pieslice((320, 80, 400, 150), 0, 180, fill=shade(color, 0.7))
    for y in range(160, 460, 40):
        draw.line([(250, y), (470, y)], fill=shade(color, 1.15), width=3)
    label(draw, (260, 380, 460, 455), name, color=(255, 252, 240, 230))


def cloth(image, draw, color, name, rng):
    shadow(image, (120, 440, 600, 505))
    draw.rectangle((130, 150, 590, 470), fill=color)
    accent = (236, 206, 140)
    for y in range(170, 460, 48):
        for x in range(150, 580, 48):
            if rng.random() < 0.5:
                draw.ellipse((x, y, x + 28, y + 28), outline=accent, width=3)
                draw.ellipse((x + 10, y + 10, x + 18, y + 18), fill=accent)
            else:
                draw.polygon([(x + 14, y), (x + 28, y + 14), (x + 14, y + 28), (x, y + 14)], outline=accent, width=3)
    draw.rectangle((130, 150, 590, 170), fill=shade(color, 0.7))
    draw.rectangle((130, 450, 590, 470), fill=shade(color, 0.7))
    label(draw, (200, 50, 520, 125), name)


def basket(image, draw, color, name, rng):
    shadow(image, (150, 440, 570, 505))
    draw.pieslice((160, 150, 560, 490), 0, 180, fill=color)
    for x in range(170, 560, 22):
        draw.line([(x, 320), (360 + (x - 360) * 0.8, 480)], fill=shade(color, 0.75), width=4)
    for y in range(330, 480, 18):
        draw.arc((160, 150 + (y - 320) // 3, 560, 490 - (480 - y) // 6), 0, 180, fill=shade(color, 1.2), width=3)
    draw.arc((200, 150, 520, 470), 180, 360, fill=shade(color, 0.7), width=14)
    label(draw, (230, 60, 490, 135), name)


def mask(image, draw, color, name, rng):
    shadow(image, (220, 450, 500, 505))
    draw.ellipse((240, 110, 480, 470), fill=color)
    draw.ellipse((285, 220, 345, 260), fill=(250, 245, 235))
    draw.ellipse((375, 220, 435, 260), fill=(250, 245, 235))
    draw.ellipse((305, 228, 325, 252), fill=(20, 20, 20))
    draw.ellipse((395, 228, 415, 252), fill=(20, 20, 20))
    draw.polygon([(360, 250), (340, 330), (380, 330)], fill=shade(color, 0.8))
    draw.arc((300, 320, 420, 400), 20, 160, fill=(120, 20, 20), width=8)
    draw.arc((270, 170, 350, 220), 200, 340, fill=(30, 20, 10), width=7)
    draw.arc((370, 170, 450, 220), 200, 340, fill=(30, 20, 10), width=7)
    label(draw, (200, 30, 520, 100), name)


def pot(image, draw, color, name, rng):
    shadow(image, (210, 450, 510, 505))
    draw.ellipse((220, 200, 500, 480), fill=color)
    draw.rectangle((300, 150, 420, 240), fill=color)
    draw.ellipse((290, 135, 430, 175), fill=shade(color, 0.7))
    for y in (300, 330):
        draw.arc((230, y - 100, 490, y + 60), 20, 160, fill=shade(color, 1.25), width=4)
    label(draw, (200, 40, 520, 110), name)


def leaves(draw, rng):
    for _ in range(5):
        x, y = rng.randint(50, 170), rng.randint(380, 490)
        draw.ellipse((x, y, x + 60, y + 26), fill=(70, 130, 50))
        x += 470
        draw.ellipse((x, y, x + 60, y + 26), fill=(80, 140, 60))


def draw_product(path, yaml):
    name, category = field(yaml, "name"), field(yaml, "category")
    seed = int(hashlib.sha256(path.stem.encode()).hexdigest(), 16)
    rng = random.Random(seed)
    base, colors = PALETTE.get(category, PALETTE["kriya"])
    color = colors[seed % len(colors)]
    image = Image.new("RGBA", (W, H))
    draw = ImageDraw.Draw(image)
    background(draw, base, rng)
    lower = (name + " " + path.stem).lower()
    if category == "kopi":
        pouch(image, draw, color, name, rng)
        beans(draw, rng)
    elif category == "makanan-ringan":
        chip_bag(image, draw, color, name, rng)
    elif category in ("minuman",):
        bottle(image, draw, color, name, rng)
    elif category == "olahan-susu":
        (bottle if "susu" in lower or "kefir" in lower else jar)(image, draw, color, name, rng)
    elif category == "madu":
        jar(image, draw, color, name, rng, lid=(90, 60, 30))
    elif category == "herbal-jamu":
        (pouch if rng.random() < 0.5 else box)(image, draw, color, name, rng)
        leaves(draw, rng)
    elif category == "sembako":
        (jar if "minyak" in lower or "sambal" in lower else pouch)(image, draw, color, name, rng)
    elif category == "makanan-beku":
        box(image, draw, color, name, rng)
    elif category == "fesyen":
        bag = any(word in lower for word in ("tas", "tote", "bag", "dompet"))
        (box if bag else shirt)(image, draw, color, name, rng)
    elif category == "batik-tenun":
        cloth(image, draw, color, name, rng)
    elif any(word in lower for word in ("kulit", "dompet", "kayu", "ukir")):
        box(image, draw, color, name, rng)
    elif "topeng" in lower:
        mask(image, draw, color, name, rng)
    elif any(word in lower for word in ("gerabah", "cobek", "vas", "kendi", "pot", "celengan", "tungku")):
        pot(image, draw, color, name, rng)
    else:
        basket(image, draw, color, name, rng)
    return image.convert("RGB")


def main():
    redraw = "--all" in sys.argv
    written = 0
    for page in sorted((CONTENT / "products").glob("*/*.md")):
        text = page.read_text()
        yaml = front_matter(text)
        photo = page.with_suffix(".jpg")
        has_images = re.search(r"^images:", yaml, re.M)
        if has_images and not redraw:
            continue
        draw_product(page, yaml).save(photo, "JPEG", quality=80, optimize=True, progressive=True)
        line = f"images: [{photo.name}]"
        if has_images:
            old = re.search(r"^images:\s*\[(.*?)\]", yaml, re.M)
            for name in (old.group(1).split(",") if old else []):
                stale = page.parent / name.strip().strip('"')
                if stale != photo and stale.exists():
                    stale.unlink()
            yaml_new = re.sub(r"^images:.*$", line, yaml, count=1, flags=re.M)
        else:
            yaml_new = re.sub(r"^(unit:.*)$", r"\1\n" + line, yaml, count=1, flags=re.M)
        page.write_text(text.replace(yaml, yaml_new, 1))
        written += 1
    print(f"{written} foto contoh digambar.")


if __name__ == "__main__":
    main()
