import type { NativeConnection } from '@temporalio/worker';
import { SEARCH_ATTRIBUTES } from '../contract/index.js';

const INDEXED_TYPE = { KEYWORD: 2 } as const; // temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD

/**
 * Makes sure the search attributes the workflows upsert exist in the namespace, registering the missing ones where the
 * connection is allowed to; otherwise fails with the command an operator should run.
 */
export async function ensureSearchAttributes(connection: NativeConnection, namespace: string): Promise<string[]> {
  const { customAttributes } = await connection.operatorService.listSearchAttributes({ namespace });
  const missing = SEARCH_ATTRIBUTES.filter((key) => customAttributes?.[key.name] === undefined);
  if (missing.length === 0) return [];
  try {
    await connection.operatorService.addSearchAttributes({
      namespace,
      searchAttributes: Object.fromEntries(missing.map((key) => [key.name, INDEXED_TYPE[key.type as 'KEYWORD']])),
    });
  } catch (err) {
    const commands = missing
      .map(
        (key) =>
          `  temporal operator search-attribute create --namespace ${namespace} --name ${key.name} --type Keyword`,
      )
      .join('\n');
    throw new Error(
      `search attributes ${missing.map((k) => k.name).join(', ')} are missing in namespace ${namespace} and could not be ` +
        `registered (${(err as Error).message}). Register them with:\n${commands}\n` +
        `(on Temporal Cloud: tcld namespace search-attributes add, or the Cloud UI)`,
    );
  }
  return missing.map((k) => k.name);
}
