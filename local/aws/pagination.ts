import { AwsError } from './errors';

export interface Page<T> {
  items: T[];
  nextToken?: string;
}

/** How list operations mark their last page. */
export interface PaginationStyle {
  /**
   * Answer the last page with `NextToken: ""` and read an empty incoming token as the first
   * page, as some AWS-compatible endpoints do (AWS omits the token).
   */
  readonly emptyLastPageToken?: boolean;
}

/** Slices `items` at an opaque NextToken, failing with `errorType` for a token it did not issue. */
export function paginate<T>(
  items: readonly T[],
  maxResults: number,
  nextToken: string | undefined,
  errorType: string,
  style: PaginationStyle = {},
): Page<T> {
  let offset = 0;
  if (nextToken !== undefined && !(style.emptyLastPageToken === true && nextToken === '')) {
    const match = /^offset:(\d+)$/.exec(Buffer.from(nextToken, 'base64url').toString('utf8'));
    if (!match) throw new AwsError(errorType, 'The NextToken value is invalid.');
    offset = Number(match[1]);
  }
  const end = offset + maxResults;
  const lastPageToken = style.emptyLastPageToken === true ? '' : undefined;
  return {
    items: items.slice(offset, end),
    nextToken:
      end < items.length
        ? Buffer.from(`offset:${end}`, 'utf8').toString('base64url')
        : lastPageToken,
  };
}
