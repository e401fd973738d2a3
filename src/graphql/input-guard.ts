import {
  defaultFieldResolver,
  getNamedType,
  GraphQLError,
  GraphQLID,
  GraphQLString,
  isInputObjectType,
  isListType,
  isNonNullType,
  isObjectType,
  type GraphQLField,
  type GraphQLFieldResolver,
  type GraphQLInputType,
  type GraphQLSchema,
} from 'graphql';
import { ErrorCode, PaygridError } from '../shared/errors';
import { hasForbiddenCharacters } from '../shared/text';
import { userErrorOf } from './common.types';

/**
 * No input column is wider than this (URLs: 2048): a longer string is refused at the edge, before
 * any resolver copies it around. Each field's own limit, equal to its column, is its service's.
 */
export const MAX_INPUT_TEXT = 4096;

/** The first String or ID value under `value` (of `type`, at `path`) that no field may hold, as a refusal. */
export function inputRefusal(value: unknown, type: GraphQLInputType, path: string[]): PaygridError | null {
  if (value == null) return null;
  if (isNonNullType(type)) return inputRefusal(value, type.ofType, path);
  if (isListType(type)) {
    if (!Array.isArray(value)) return inputRefusal(value, type.ofType, path);
    for (const [index, item] of value.entries()) {
      const refusal = inputRefusal(item, type.ofType, [...path, String(index)]);
      if (refusal) return refusal;
    }
    return null;
  }
  if (isInputObjectType(type)) {
    for (const field of Object.values(type.getFields())) {
      const refusal = inputRefusal((value as Record<string, unknown>)[field.name], field.type, [...path, field.name]);
      if (refusal) return refusal;
    }
    return null;
  }
  if ((type === GraphQLString || type === GraphQLID) && typeof value === 'string') {
    if (hasForbiddenCharacters(value)) return new PaygridError(ErrorCode.TEXT_INVALID_CHARACTERS, path);
    if (value.length > MAX_INPUT_TEXT) {
      return new PaygridError(ErrorCode.FIELD_TOO_LONG, path, `This field is longer than ${MAX_INPUT_TEXT} characters.`);
    }
  }
  return null;
}

/**
 * The refusal as the error every transport sends unchanged (the same shape as the HTTP error
 * formatting gives a business error), so that a graphql-ws client gets the code and the field too.
 */
function badUserInput(refusal: PaygridError): GraphQLError {
  return new GraphQLError(refusal.message, { extensions: { code: 'BAD_USER_INPUT', userErrorCode: refusal.code, field: refusal.field } });
}

/**
 * Paths as `UserError.field` documents them and services report them: inside a mutation's `input`
 * argument they start below it (["items", "0", "name"]); any other argument is named (["id"]).
 */
function argumentRefusal(field: GraphQLField<unknown, unknown>, args: Record<string, unknown>): PaygridError | null {
  for (const arg of field.args) {
    const refusal = inputRefusal(args[arg.name], arg.type, arg.name === 'input' ? [] : [arg.name]);
    if (refusal) return refusal;
  }
  return null;
}

/** A mutation payload carries `userErrors`; every other field reports the refusal as an error. */
function answersWithUserErrors(field: GraphQLField<unknown, unknown>): boolean {
  const type = getNamedType(field.type);
  return isObjectType(type) && 'userErrors' in type.getFields();
}

/**
 * The one check of text arguments: every field of the schema that takes arguments (queries,
 * mutations, subscriptions and nested fields alike) refuses NUL and other control characters,
 * unpaired surrogates and over-long strings in any String or ID argument or input field, nested
 * or not, before its resolver (or a subscription's `subscribe`) runs. A mutation answers the
 * refusal in its payload's `userErrors`; anything else as an error with the code and the path.
 */
export function guardArguments(schema: GraphQLSchema): GraphQLSchema {
  for (const type of Object.values(schema.getTypeMap())) {
    if (!isObjectType(type) || type.name.startsWith('__')) continue;
    const inMutation = type === schema.getMutationType();
    for (const field of Object.values(type.getFields())) {
      if (!field.args.length) continue;
      const asPayload = inMutation && answersWithUserErrors(field);
      const guard = <T extends GraphQLFieldResolver<unknown, unknown>>(resolve: T): T =>
        ((source, args, context, info) => {
          const refusal = argumentRefusal(field, args);
          if (!refusal) return resolve(source, args, context, info);
          if (asPayload) return { userErrors: [userErrorOf(refusal)] };
          throw badUserInput(refusal);
        }) as T;
      field.resolve = guard(field.resolve ?? defaultFieldResolver);
      if (field.subscribe) field.subscribe = guard(field.subscribe);
    }
  }
  return schema;
}
