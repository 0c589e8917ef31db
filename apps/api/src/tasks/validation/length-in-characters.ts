import { ValidateBy, type ValidationOptions } from 'class-validator';

/**
 * A string of `min` to `max` characters, counted as PostgreSQL counts them (code points), so a
 * length the API accepts always fits its `varchar` column. class-validator's @Length counts
 * differently (it ignores variation selectors), which let 150 "❤️" (300 code points) through.
 */
export function LengthInCharacters(min: number, max: number, options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: 'lengthInCharacters',
      constraints: [min, max],
      validator: {
        validate: (value: unknown) => {
          if (typeof value !== 'string') return false;
          // Code points, as Postgres counts varchar(n): an emoji is one, a flag two.
          const length = Array.from(value).length;
          return length >= min && length <= max;
        },
        defaultMessage: (args) =>
          min > 0 ? `${args?.property} must be ${min} to ${max} characters long` : `${args?.property} must be at most ${max} characters long`,
      },
    },
    options,
  );
}
