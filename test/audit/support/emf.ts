/** Reads CloudWatch embedded-metric-format lines, as the Powertools Metrics utility prints them. */

export interface EmfDatum {
  readonly namespace: string;
  readonly name: string;
  readonly value: number;
  /** The datum's dimension values, by dimension name. */
  readonly dimensions: Readonly<Record<string, string>>;
}

interface EmfDocument {
  _aws?: {
    CloudWatchMetrics?: {
      Namespace: string;
      Dimensions: string[][];
      Metrics: { Name: string }[];
    }[];
  };
  [field: string]: unknown;
}

export function emfData(lines: readonly string[]): EmfDatum[] {
  return lines.flatMap((line) => {
    if (!line.startsWith('{') || !line.includes('"_aws"')) return [];
    const document = JSON.parse(line) as EmfDocument;
    return (document._aws?.CloudWatchMetrics ?? []).flatMap((directive) =>
      directive.Metrics.map((metric) => ({
        namespace: directive.Namespace,
        name: metric.Name,
        value: Number(document[metric.Name]),
        dimensions: Object.fromEntries(
          directive.Dimensions.flat().map((dimension) => [dimension, String(document[dimension])]),
        ),
      })),
    );
  });
}

/** The value of one metric with exactly these dimensions, summed over the lines. */
export function metricValue(
  data: readonly EmfDatum[],
  name: string,
  dimensions: Readonly<Record<string, string>>,
): number | undefined {
  const matching = data.filter(
    (datum) =>
      datum.name === name &&
      Object.keys(datum.dimensions).length === Object.keys(dimensions).length &&
      Object.entries(dimensions).every(([key, value]) => datum.dimensions[key] === value),
  );
  return matching.length === 0 ? undefined : matching.reduce((sum, d) => sum + d.value, 0);
}
