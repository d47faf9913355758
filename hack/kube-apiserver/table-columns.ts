/** Table column definitions (meta.k8s.io/v1 TableColumnDefinition) and the human AGE format. */
export interface TableColumn {
  name: string;
  type: string;
  format: string;
  description: string;
  priority: number;
}

export const col = (name: string, description = "", priority = 0, type = "string", format = ""): TableColumn => ({
  name,
  type,
  format,
  description,
  priority,
});

export const NAME_DESCRIPTION =
  "Name must be unique within a namespace. Is required when creating resources, although some resources may allow a client to request the generation of an appropriate name automatically. Name is primarily intended for creation idempotence and configuration definition. Cannot be updated. More info: http://kubernetes.io/docs/user-guide/identifiers#names";
export const AGE_DESCRIPTION =
  "CreationTimestamp is a timestamp representing the server time when this object was created. It is not guaranteed to be set in happens-before order across separate operations. Clients may not set this value. It is represented in RFC3339 form and is in UTC.\n\nPopulated by the system. Read-only. Null for lists. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#metadata";

export const nameCol = (priority = 0): TableColumn => col("Name", NAME_DESCRIPTION, priority, "string", "name");
export const ageCol = (): TableColumn => col("Age", AGE_DESCRIPTION);

/** Kubernetes' duration.HumanDuration: "0s", "45s", "5m3s", "3h", "2d5h", "8d", "2y". */
export function humanDuration(ms: number): string {
  const s = Math.floor(ms / 1000);
  if (s < 0) return "<invalid>";
  if (s < 60 * 2) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 10) {
    const rem = s % 60;
    return rem === 0 ? `${m}m` : `${m}m${rem}s`;
  }
  if (m < 60 * 3) return `${m}m`;
  const h = Math.floor(m / 60);
  if (h < 8) {
    const rem = m % 60;
    return rem === 0 ? `${h}h` : `${h}h${rem}m`;
  }
  if (h < 48) return `${h}h`;
  if (h < 24 * 8) {
    const rem = h % 24;
    const d = Math.floor(h / 24);
    return rem === 0 ? `${d}d` : `${d}d${rem}h`;
  }
  if (h < 24 * 365 * 2) return `${Math.floor(h / 24)}d`;
  if (h < 24 * 365 * 8) {
    const y = Math.floor(h / 24 / 365);
    const d = Math.floor(h / 24) % 365;
    return d === 0 ? `${y}y` : `${y}y${d}d`;
  }
  return `${Math.floor(h / 24 / 365)}y`;
}

export function age(timestamp: unknown, now: Date): string {
  if (typeof timestamp !== "string") return "<unknown>";
  const t = Date.parse(timestamp);
  if (Number.isNaN(t)) return "<unknown>";
  return humanDuration(now.getTime() - t);
}
