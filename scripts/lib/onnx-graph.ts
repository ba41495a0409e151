/**
 * A small ONNX graph writer on top of onnx-proto (the ONNX protobuf schema compiled for protobufjs):
 * float32 initializers, nodes with int / ints / float attributes, one float32 input and output,
 * encoded as a ModelProto. Used by the peer-engine export (scripts/lib/mobilenetv3-small-onnx.ts).
 */
import onnxProto from 'onnx-proto';

const { onnx } = onnxProto;

export type OnnxAttribute = number | number[] | { float: number };

/** The opset the exported graphs use: HardSwish needs 14; 17 is what onnxruntime-web and Transformers.js models commonly ship. */
export const ONNX_OPSET = 17;
/** ONNX IR version 8 goes with opset 17. */
const IR_VERSION = 8;

function attribute(name: string, value: OnnxAttribute): onnxProto.onnx.IAttributeProto {
  const { AttributeType } = onnx.AttributeProto;
  if (Array.isArray(value)) return { name, type: AttributeType.INTS, ints: value };
  if (typeof value === 'object') return { name, type: AttributeType.FLOAT, f: value.float };
  if (!Number.isInteger(value)) throw new Error(`ONNX attribute ${name}=${value}: a float needs { float: ${value} }`);
  return { name, type: AttributeType.INT, i: value };
}

function valueInfo(name: string, dims: number[]): onnxProto.onnx.IValueInfoProto {
  return {
    name,
    type: { tensorType: { elemType: onnx.TensorProto.DataType.FLOAT, shape: { dim: dims.map((d) => ({ dimValue: d })) } } },
  };
}

export class OnnxGraphBuilder {
  private readonly nodes: onnxProto.onnx.INodeProto[] = [];
  private readonly initializers: onnxProto.onnx.ITensorProto[] = [];
  private readonly names = new Set<string>();

  private claim(name: string): string {
    if (this.names.has(name)) throw new Error(`ONNX graph: the name "${name}" is used twice`);
    this.names.add(name);
    return name;
  }

  /** A constant float32 tensor (weights), stored little-endian in raw_data. */
  initializer(name: string, dims: number[], values: Float32Array): string {
    const count = dims.reduce((a, b) => a * b, 1);
    if (values.length !== count) throw new Error(`ONNX initializer ${name}: ${values.length} values for shape [${dims.join(', ')}]`);
    const bytes = new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
    this.initializers.push({ name: this.claim(name), dims, dataType: onnx.TensorProto.DataType.FLOAT, rawData: bytes.slice() });
    return name;
  }

  /** Adds one node; returns the name of its (single) output, which is `output`. */
  node(opType: string, inputs: string[], output: string, attributes: Record<string, OnnxAttribute> = {}): string {
    this.nodes.push({
      opType,
      name: output,
      input: inputs,
      output: [this.claim(output)],
      attribute: Object.entries(attributes).map(([k, v]) => attribute(k, v)),
    });
    return output;
  }

  /** The graph as a serialised ModelProto with one float32 input and one float32 output. */
  encode(options: {
    graphName: string;
    input: { name: string; dims: number[] };
    output: { name: string; dims: number[] };
    producerVersion: string;
    docString: string;
  }): Uint8Array {
    if (!this.names.has(options.output.name)) throw new Error(`ONNX graph: no node writes the output "${options.output.name}"`);
    const model = onnx.ModelProto.create({
      irVersion: IR_VERSION,
      opsetImport: [{ domain: '', version: ONNX_OPSET }],
      producerName: 'lookalike',
      producerVersion: options.producerVersion,
      docString: options.docString,
      graph: {
        name: options.graphName,
        node: this.nodes,
        initializer: this.initializers,
        input: [valueInfo(options.input.name, options.input.dims)],
        output: [valueInfo(options.output.name, options.output.dims)],
      },
    });
    return onnx.ModelProto.encode(model).finish();
  }
}
