import { ILLEGAL_STATUS_TRANSITION_SQLSTATE, isDatabaseUnavailable, isIllegalStatusTransition, lostRaceAs } from './database-errors.js';

const refused = Object.assign(new Error('illegal status transition of task t1: COMPLETED → FAILED is not allowed'), { code: 'TS001' });
const checkViolation = Object.assign(new Error('new row violates check constraint'), { code: '23514' });

describe(isIllegalStatusTransition.name, () => {
  it('recognises the status guard trigger by its SQLSTATE', () => {
    expect(ILLEGAL_STATUS_TRANSITION_SQLSTATE).toBe('TS001');
    expect(isIllegalStatusTransition(refused)).toBe(true);
  });

  it.each([[checkViolation], [new Error('TS001')], [null], [undefined], ['TS001']])('does not take %p for one', (error) => {
    expect(isIllegalStatusTransition(error)).toBe(false);
  });

  it('is not a database outage', () => {
    expect(isDatabaseUnavailable(refused)).toBe(false);
  });
});

describe(lostRaceAs.name, () => {
  it('passes a successful write through', async () => {
    await expect(lostRaceAs(Promise.resolve({ rowCount: 1 }), { rowCount: 0 })).resolves.toEqual({ rowCount: 1 });
  });

  it('gives the lost value when the trigger refused the write', async () => {
    await expect(lostRaceAs(Promise.reject(refused), { rowCount: 0 })).resolves.toEqual({ rowCount: 0 });
  });

  it('lets every other error through', async () => {
    await expect(lostRaceAs(Promise.reject(checkViolation), { rowCount: 0 })).rejects.toBe(checkViolation);
  });
});
