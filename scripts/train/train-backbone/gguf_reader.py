"""A minimal GGUF reader (metadata and F32/F16 tensors, shapes in torch order) for the qvac MobileNetV3-S file;
the project's own reader is scripts/lib/gguf.ts."""
import struct, numpy as np
def read_gguf(path):
    b = open(path, 'rb').read(); pos = [0]
    def rd(fmt):
        v = struct.unpack_from('<' + fmt, b, pos[0]); pos[0] += struct.calcsize('<' + fmt); return v[0]
    def rstr():
        n = rd('Q'); s = b[pos[0]:pos[0]+n].decode('utf-8', 'replace'); pos[0] += n; return s
    FM = {0:'B',1:'b',2:'H',3:'h',4:'I',5:'i',6:'f',7:'B',10:'Q',11:'q',12:'d'}
    def rval(t):
        if t == 8: return rstr()
        if t == 9:
            it = rd('I'); n = rd('Q'); return [rval(it) for _ in range(n)]
        return rd(FM[t])
    assert rd('I') == 0x46554747, f'{path} is not a GGUF file'; rd('I'); nt = rd('Q'); nkv = rd('Q')  # magic, version, counts
    meta = {}
    for _ in range(nkv):
        k = rstr(); t = rd('I'); meta[k] = rval(t)
    infos = []
    for _ in range(nt):
        name = rstr(); nd = rd('I'); ne = [rd('Q') for _ in range(nd)]; typ = rd('I'); off = rd('Q')
        infos.append((name, list(reversed(ne)), typ, off))
    align = meta.get('general.alignment', 32)
    data = (pos[0] + align - 1) // align * align
    tensors = {}
    for name, shape, typ, off in infos:
        dt = np.float32 if typ == 0 else np.float16
        n = int(np.prod(shape)) if shape else 1
        tensors[name] = np.frombuffer(b, dt, n, data + off).astype(np.float32).reshape(shape)
    return meta, tensors
