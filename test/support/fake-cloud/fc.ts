// FC aliases: FC 3.0 `GET|PUT /2023-03-30/functions/{fn}/aliases/{alias}` (as @alicloud/fc20230330 sends
// them: JSON body {versionId, additionalVersionWeight, description}) and FC 2.0
// `GET|PUT /2016-08-15/services/{svc}/aliases/{alias}` (as @alicloud/fc2 sends them).

import { ApiError } from './api-error.ts';
import type { Alias, World } from './world.ts';

export function aliasView(name: string, a: Alias) {
  return { aliasName: name, versionId: a.versionId, additionalVersionWeight: { ...a.weights }, description: '', lastModifiedTime: new Date().toISOString() };
}

export function getAlias(w: World, owner: string, alias: string): Alias {
  const fn = w.functions.get(owner);
  if (!fn) throw new ApiError(404, 'FunctionNotFound', `function ${owner} does not exist`);
  const a = fn.aliases.get(alias);
  if (!a) throw new ApiError(404, 'AliasNotFound', `alias ${alias} of ${owner} does not exist`);
  return a;
}

export function updateAlias(w: World, owner: string, alias: string, body: { versionId?: string; additionalVersionWeight?: Record<string, number> }): Alias {
  const fn = w.functions.get(owner)!;
  const a = getAlias(w, owner, alias);
  const versionId = body.versionId ?? a.versionId;
  const weights = body.additionalVersionWeight ?? a.weights;
  for (const v of [versionId, ...Object.keys(weights)]) if (!fn.versions.has(String(v))) throw new ApiError(404, 'VersionNotFound', `version ${v} of ${owner} does not exist`);
  const total = Object.values(weights).reduce((s, x) => s + x, 0);
  if (total < 0 || total > 1 || String(versionId) in weights) throw new ApiError(400, 'InvalidArgument', 'additionalVersionWeight must be between 0 and 1 and not name the main version');
  const next: Alias = { versionId: String(versionId), weights: Object.fromEntries(Object.entries(weights).filter(([, x]) => x > 0)) };
  fn.aliases.set(alias, next);
  return next;
}
