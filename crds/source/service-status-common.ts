/**
 * What ServiceL2Status and ServiceBGPStatus have in common. They are status-only objects the speakers
 * write to say which node announces a Service; the identifying fields cannot change once written, so
 * a status object always describes the same (Service, node) pair, and a speaker deletes it when it
 * stops announcing instead of rewriting it.
 */
import { immutable, obj, str, type SourceSchema } from "./schema";

export const serviceIdentity = (): Record<string, SourceSchema> => ({
  node: immutable(str("The node that announces the Service."), "node cannot be changed"),
  serviceName: immutable(str("The name of the announced Service."), "serviceName cannot be changed"),
  serviceNamespace: immutable(str("The namespace of the announced Service."), "serviceNamespace cannot be changed"),
});

export const emptySpec = (kind: string): SourceSchema => obj(`Empty: a ${kind} carries everything in its status.`, {});
