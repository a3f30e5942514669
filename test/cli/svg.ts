import { XMLParser, XMLValidator } from 'fast-xml-parser';

/** One node or edge of a Graphviz SVG: its `<title>` (a node's id, `a->b` for an edge) and what it shows. */
export interface DrawnElement {
  readonly title: string;
  readonly texts: string[];
  /** The stroke colour of its outline or line. */
  readonly stroke: string | undefined;
  readonly fill: string | undefined;
  readonly dashed: boolean;
}

export interface DrawnGraph {
  readonly nodes: Map<string, DrawnElement>;
  readonly edges: Map<string, DrawnElement>;
}

type Element = Record<string, unknown>;

const list = (value: unknown): Element[] => (Array.isArray(value) ? value : value === undefined ? [] : [value]) as Element[];
const text = (value: unknown): string => (typeof value === 'object' && value !== null ? String((value as Element)['#text'] ?? '') : String(value));

/**
 * Reads an SVG the way a viewer would have to: it must be well-formed XML with an `<svg>` root, or this
 * throws with the parser's reason. Returns Graphviz's nodes and edges by their titles.
 */
export function readGraphSvg(svg: string): DrawnGraph {
  const valid = XMLValidator.validate(svg);
  if (valid !== true) throw new Error(`not well-formed XML: ${valid.err.msg} (line ${valid.err.line})`);
  const document = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '', htmlEntities: true }).parse(svg) as Element;
  const root = document.svg as Element | undefined;
  if (!root || root.xmlns !== 'http://www.w3.org/2000/svg') throw new Error('the root element is not an SVG <svg>');
  const graph: DrawnGraph = { nodes: new Map(), edges: new Map() };
  const visit = (group: Element) => {
    for (const child of list(group.g)) {
      const shape = [...list(child.polygon), ...list(child.path), ...list(child.ellipse)][0];
      const element: DrawnElement = {
        title: text(list(child.title)[0] ?? ''),
        texts: list(child.text).map(text),
        stroke: shape?.stroke as string | undefined,
        fill: shape?.fill as string | undefined,
        dashed: list(child.path).some((path) => 'stroke-dasharray' in path) || list(child.polygon).some((polygon) => 'stroke-dasharray' in polygon),
      };
      if (child.class === 'node') graph.nodes.set(element.title, element);
      else if (child.class === 'edge') graph.edges.set(element.title, element);
      visit(child);
    }
  };
  visit(root);
  return graph;
}
