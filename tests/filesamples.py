"""Small real files for tests that upload: each one passes `community.uploads.check_upload` as
what it is, because it is one (not a stub with the right first bytes only)."""

import io

# MPEG-1 Layer III, no CRC, 128 kbit/s, 44.1 kHz, no padding: every frame is
# 144 * 128000 // 44100 = 417 bytes. Joint stereo, "original" set (the fourth header byte).
MP3_FRAME_HEADER = b"\xff\xfb\x90\x64"
MP3_FRAME_SIZE = 417
MP3_SAMPLES_PER_FRAME = 1152
MP3_SAMPLE_RATE = 44_100


def mp3_bytes(frames: int = 3) -> bytes:
    """An empty ID3v2.3 tag and `frames` silent frames (zeroed side information decodes to
    silence)."""
    id3 = b"ID3\x03\x00\x00\x00\x00\x00\x00"  # ID3v2.3 tag, no frames
    frame = MP3_FRAME_HEADER + bytes(MP3_FRAME_SIZE - len(MP3_FRAME_HEADER))
    return id3 + frame * frames


def pdf_bytes() -> bytes:
    """A one-page PDF 1.4 with a correct cross-reference table."""
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] >>",
    ]
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n%s\nendobj\n" % (number, body))
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1))
    for offset in offsets:
        out.write(b"%010d 00000 n \n" % offset)
    out.write(b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (4, xref))
    return out.getvalue()


# MPEG-1 Layer III bit rates (kbit/s) by the header's index, and sample rates.
_MP3_BITRATES = (None, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320, None)
_MP3_SAMPLE_RATES = (44_100, 48_000, 32_000, None)


def mp3_duration(data: bytes) -> float:
    """Walk an MP3 as a player does: past its ID3v2 tag, then frame by frame to the last
    byte. Every frame must be a valid MPEG-1 Layer III frame; the seconds they play."""
    offset = 0
    if data.startswith(b"ID3"):
        size = 0
        for byte in data[6:10]:
            assert byte < 0x80, "ID3v2 sizes are syncsafe"
            size = size << 7 | byte
        offset = 10 + size
    seconds = 0.0
    frames = 0
    while offset < len(data):
        header = data[offset : offset + 4]
        assert len(header) == 4, f"a truncated frame header at byte {offset}"
        assert header[0] == 0xFF, f"no frame sync at byte {offset}"
        assert header[1] & 0xFE == 0xFA, f"not MPEG-1 Layer III at byte {offset}"
        bitrate = _MP3_BITRATES[header[2] >> 4]
        rate = _MP3_SAMPLE_RATES[(header[2] >> 2) & 0x3]
        assert bitrate, f"a reserved bit rate at byte {offset}"
        assert rate, f"a reserved sample rate at byte {offset}"
        padding = (header[2] >> 1) & 0x1
        length = 144 * bitrate * 1000 // rate + padding
        assert offset + length <= len(data), f"the frame at byte {offset} is cut short"
        offset += length
        seconds += MP3_SAMPLES_PER_FRAME / rate
        frames += 1
    assert frames, "no frames"
    return seconds
