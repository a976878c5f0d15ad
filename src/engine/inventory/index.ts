export {
  decodeInventory,
  encodeInventory,
  entryKey,
  entryOf,
  mergeInventories,
  refOfEntry,
  staleEntries,
  type InventoryEntry,
} from './inventory.js';
export { INVENTORY_NAMESPACE, InventoryStore } from './store.js';
