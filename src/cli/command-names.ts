/**
 * The subcommands' names, apart from their code: the image command loads
 * only what streaming needs, and each other command's modules (registry
 * client, compression, audit) are imported when it runs (run.ts), which
 * keeps them out of the stream's start-up and its first byte.
 */
export const AUDIT_COMMANDS = ["digest", "verify", "diff"] as const;
export type AuditCommand = (typeof AUDIT_COMMANDS)[number];

export function isAuditCommand(word: string | undefined): word is AuditCommand {
  return (AUDIT_COMMANDS as readonly (string | undefined)[]).includes(word);
}

export const PUBLISH_COMMANDS = ["push", "oci"] as const;
export type PublishCommand = (typeof PUBLISH_COMMANDS)[number];

export function isPublishCommand(word: string | undefined): word is PublishCommand {
  return (PUBLISH_COMMANDS as readonly (string | undefined)[]).includes(word);
}
