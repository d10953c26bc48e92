import koffi from 'koffi';

/** TurboJPEG constants (turbojpeg.h). */
const TJPF_BGRX = 3;
const TJSAMP_420 = 2;
const TJFLAG_NOREALLOC = 1024;
const TJFLAG_FASTDCT = 2048;

interface TurboJpegLib {
  handle: unknown;
  bufSize: (w: number, h: number, subsamp: number) => number;
  compress: (...args: unknown[]) => number;
  error: (h: unknown) => string;
}

let lib: TurboJpegLib | null | undefined;

/** Loads libturbojpeg (Debian libturbojpeg0) once; null when it is not installed. */
function load(): TurboJpegLib | null {
  if (lib !== undefined) return lib;
  try {
    const so = koffi.load('libturbojpeg.so.0');
    const init = so.func('void *tjInitCompress()');
    lib = {
      handle: init(),
      bufSize: so.func('unsigned long tjBufSize(int width, int height, int subsamp)'),
      compress: so.func(
        'int tjCompress2(void *h, const uint8_t *src, int width, int pitch, int height, int pf, ' +
          '_Inout_ uint8_t **dst, _Inout_ unsigned long *size, int subsamp, int quality, int flags)',
      ),
      error: so.func('const char *tjGetErrorStr2(void *h)'),
    };
  } catch {
    lib = null;
  }
  return lib;
}

export function jpegAvailable(): boolean {
  return load() !== null;
}

/** Encodes BGRX pixels as a baseline 4:2:0 JPEG through libturbojpeg, synchronously. */
export function encodeJpeg(bgrx: Buffer, w: number, h: number, quality: number): Buffer {
  const tj = load();
  if (!tj) throw new Error('libturbojpeg.so.0 is not installed (Debian package libturbojpeg0)');
  const cap = Number(tj.bufSize(w, h, TJSAMP_420));
  const dst = Buffer.allocUnsafe(cap);
  const dstRef = [dst];
  const size = [cap];
  const flags = TJFLAG_NOREALLOC | TJFLAG_FASTDCT;
  const rc = tj.compress(
    tj.handle,
    bgrx,
    w,
    w * 4,
    h,
    TJPF_BGRX,
    dstRef,
    size,
    TJSAMP_420,
    quality,
    flags,
  );
  if (rc !== 0) throw new Error(`tjCompress2: ${tj.error(tj.handle)}`);
  return dst.subarray(0, Number(size[0]));
}
