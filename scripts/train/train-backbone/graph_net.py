"""The converted CenterNet graph (model-artifacts/shipped/mnv3l075, a tfjs graph model) up to the asked nodes, as a torch
module whose weight tensors are parameters. Knows the ops the MobileNetV3 backbone uses; anything else raises."""
import json, base64, numpy as np, torch, torch.nn as nn, torch.nn.functional as F
DT = {'float32': np.float32, 'int32': np.int32}
def load_weights(dirname):
    j = json.load(open(f'{dirname}/model.json')); buf = open(f'{dirname}/weights.bin', 'rb').read(); out = {}; pos = 0
    for w in j['weightsManifest'][0]['weights']:
        n = int(np.prod(w['shape'])) if w['shape'] else 1
        q = w.get('quantization', {}).get('dtype')
        if q == 'float16': a = np.frombuffer(buf, np.float16, n, pos).astype(np.float32); pos += 2 * n
        else: a = np.frombuffer(buf, DT[w['dtype']], n, pos); pos += 4 * n
        out[w['name']] = a.reshape(w['shape'])
    assert pos == len(buf), (pos, len(buf))
    return j, out
def s(a): return base64.b64decode(a).decode()
def same_pad(x, k, stride):
    h, w = x.shape[2:]
    def p(n): total = max((-(-n // stride) - 1) * stride + k - n, 0); return total // 2, total - total // 2
    (t, b), (l, r) = p(h), p(w)
    return F.pad(x, (l, r, t, b))
class GraphNet(nn.Module):
    def __init__(self, dirname, outputs):
        super().__init__()
        j, w = load_weights(dirname)
        self.nodes = {n['name']: n for n in j['modelTopology']['node']}
        seen = set(); self.order = []
        def visit(n):
            if n in seen: return
            seen.add(n)
            for i in self.nodes[n].get('input', []): visit(i.split(':')[0])
            self.order.append(n)
        for o in outputs: visit(o)
        self.outputs = outputs
        self.params = nn.ParameterDict(); self.consts = {}
        self.key = {}
        for n in self.order:
            node = self.nodes[n]
            if node['op'] != 'Const': continue
            a = w[n]
            users = [u for u in self.order if n in self.nodes[u].get('input', [])]
            t = torch.from_numpy(a.astype(np.float32).copy())
            if any(self.nodes[u]['op'] == '_FusedConv2D' and self.nodes[u]['input'][1] == n for u in users): t = t.permute(3, 2, 0, 1).contiguous()   # HWIO -> OIHW
            elif any('Depthwise' in self.nodes[u]['op'] and self.nodes[u]['input'][1] == n for u in users): t = t.permute(2, 3, 0, 1).reshape(-1, 1, a.shape[0], a.shape[1]).contiguous()  # HWC1 -> C1HW
            if t.ndim >= 1 and t.numel() > 1 and 'reduction_indices' not in n:
                k = n.replace('/', '__').replace('.', '_'); self.params[k] = nn.Parameter(t); self.key[n] = k
            else: self.consts[n] = t
    def get(self, n): return self.params[self.key[n]] if n in self.key else self.consts[n]
    def forward(self, x):
        v = {}
        for n in self.order:
            node = self.nodes[n]; op = node['op']; ins = node.get('input', [])
            if op == 'Placeholder': v[n] = x; continue
            if op == 'Const': continue
            arg = lambda i: v[ins[i]] if ins[i] in v else self.get(ins[i])
            a = node.get('attr', {})
            if op in ('_FusedConv2D', 'FusedDepthwiseConv2dNative', 'DepthwiseConv2dNative'):
                xin = arg(0); wt = self.get(ins[1]); stride = int(a['strides']['list']['i'][1]); k = wt.shape[-1]
                if s(a['padding']['s']) == 'SAME': xin = same_pad(xin, k, stride)
                groups = xin.shape[1] if 'Depthwise' in op else 1
                y = F.conv2d(xin, wt, self.get(ins[2]) if len(ins) > 2 else None, stride=stride, groups=groups)
                for f in [s(q) for q in a.get('fused_ops', {}).get('list', {}).get('s', [])][1:]:
                    if f not in ('Relu', 'Relu6'): raise ValueError(f'{n}: fused {f} is not supported')
                    y = F.relu(y) if f == 'Relu' else F.relu6(y)
                v[n] = y
            elif op == 'Add': v[n] = arg(0) + arg(1)
            elif op == 'Mul': v[n] = arg(0) * arg(1)
            elif op == 'Relu6': v[n] = F.relu6(arg(0))
            elif op == 'Relu': v[n] = F.relu(arg(0))
            elif op == 'Mean': v[n] = arg(0).mean(dim=(2, 3), keepdim=True)
            else: raise ValueError(op)
        return [v[o] for o in self.outputs]
