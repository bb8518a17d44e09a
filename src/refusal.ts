/**
 * A refused write, said as AdminJS says its own notices: a message key and its parameters that the
 * page translates in the admin's language (`tm(message, resourceId, options)` in AdminJS's notice
 * component), with the English text kept as `options.defaultValue` (for API clients and logs).
 *
 * Why two steps: the guards must throw a ForbiddenError, because only for that error AdminJS
 * empties the record in its answer, which is what keeps the user's input in the form; but AdminJS
 * turns a ForbiddenError into a notice of its English message only (`notice.options` is taken
 * from AppError alone). So a refusal is a ForbiddenError that also carries its key, and each action
 * of a guarded resource notes the refusal it saw and puts the key into the notice it answers with.
 * Where no such action answers (a write from another resource's action), the English message is
 * the notice, as before.
 */
import { ForbiddenError, type ActionContext, type ActionResponse } from 'adminjs'
import { fillText, type CollaborationTexts, type TextKey } from './texts.js'

export type RefusalParams = Record<string, string>

export class CollaboratorRefusal extends ForbiddenError {
  constructor(
    readonly key: TextKey,
    readonly params: RefusalParams,
    /** The refusal in English (the resolved `texts`), AdminJS's `baseMessage`. */
    readonly english: string,
  ) {
    super(english)
  }
}

/** A refusal whose English comes from the resolved texts (the `texts` options over the defaults). */
export function refusal(texts: CollaborationTexts, key: TextKey, params: RefusalParams = {}): CollaboratorRefusal {
  return new CollaboratorRefusal(key, params, fillText(texts[key], params))
}

/** The notice a refusal becomes: AdminJS's NoticeMessage, translated by the page. */
export function refusalNotice(refused: CollaboratorRefusal, resourceId: string) {
  return { message: refused.key, type: 'error' as const, resourceId, options: { ...refused.params, defaultValue: refused.english } }
}

/** The part of AdminJS's ActionDecorator this wraps (its methods, called through `this`). */
interface DecoratedAction {
  handler: (request: unknown, response: unknown, context: ActionContext) => Promise<ActionResponse>
  invokeBeforeHook: (...args: unknown[]) => Promise<unknown>
  invokeHandler: (...args: unknown[]) => Promise<unknown>
  invokeAfterHook: (...args: unknown[]) => Promise<unknown>
}

const wrapped = new WeakSet<object>()

/**
 * Makes one decorated action answer a refusal with its key (idempotent). The hooks and the handler
 * get the action's context as their last argument, so a refusal is noted by context and found
 * again when AdminJS's error handler has turned it into the response.
 */
export function answerRefusalsWithKeys(decorated: unknown, resourceId: string): void {
  const action = decorated as DecoratedAction
  if (wrapped.has(action) || typeof action.handler !== 'function') return
  wrapped.add(action)
  const seen = new WeakMap<object, CollaboratorRefusal>()
  for (const step of ['invokeBeforeHook', 'invokeHandler', 'invokeAfterHook'] as const) {
    const original = action[step]
    if (typeof original !== 'function') continue
    action[step] = async function (this: unknown, ...args: unknown[]) {
      try {
        return await original.apply(this, args)
      } catch (error) {
        const context = args[args.length - 1]
        if (error instanceof CollaboratorRefusal && typeof context === 'object' && context !== null) seen.set(context, error)
        throw error
      }
    }
  }
  const handler = action.handler
  action.handler = async function (this: unknown, request, response, context) {
    const answer = await handler.call(this, request, response, context)
    const refused = context ? seen.get(context) : undefined
    // Only the notice AdminJS made of this very refusal (a handler may catch one and say otherwise).
    if (refused && answer?.notice?.type === 'error' && answer.notice.message === refused.english) {
      return { ...answer, notice: refusalNotice(refused, resourceId) }
    }
    return answer
  }
}
