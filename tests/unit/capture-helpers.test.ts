/** Pure helpers behind the capture UI: search-area geometry, camera messages and file names. */
import { describe, expect, it } from 'vitest';
import { boxFromPoints, describeBox, moveBox, resizeBox } from '../../src/app/crop-geometry.ts';
import { cameraErrorMessage, cameraFileName } from '../../src/app/camera.ts';

describe('search-area geometry', () => {
  it('moves the area without leaving the photo or changing its size', () => {
    expect(moveBox([0.2, 0.2, 0.6, 0.5], 0.1, -0.05)).toEqual([0.3, 0.15, 0.7, 0.45]);
    expect(moveBox([0.2, 0.2, 0.6, 0.5], 1, 1)).toEqual([0.6, 0.7, 1, 1]);
    expect(moveBox([0.2, 0.2, 0.6, 0.5], -1, -1)).toEqual([0, 0, 0.4, 0.3]);
  });

  it('resizes from the right and bottom edges, never below the minimum or past the photo', () => {
    expect(resizeBox([0.2, 0.2, 0.6, 0.5], 0.1, -0.1)).toEqual([0.2, 0.2, 0.7, 0.4]);
    expect(resizeBox([0.2, 0.2, 0.6, 0.5], -1, 1)).toEqual([0.2, 0.2, 0.24, 1]);
  });

  it('draws from two points in any order, clamped to the photo', () => {
    expect(boxFromPoints(0.7, 0.8, 0.1, 0.2)).toEqual([0.1, 0.2, 0.7, 0.8]);
    expect(boxFromPoints(-0.5, 0.5, 1.5, 0.5)).toEqual([0, 0.5, 1, 0.54]);
    expect(boxFromPoints(1, 1, 1, 1)).toEqual([0.96, 0.96, 1, 1]);
  });

  it('describes the area in percent', () => {
    expect(describeBox([0.1, 0.2, 0.6, 0.6])).toBe('left 10%, top 20%, 50% wide, 40% high');
  });
});

describe('camera helpers', () => {
  it('names a captured photo camera-HHMMSS.jpg', () => {
    expect(cameraFileName(new Date(2026, 0, 2, 9, 5, 7))).toBe('camera-090507.jpg');
  });

  it('explains each way the camera can fail', () => {
    expect(cameraErrorMessage(new DOMException('x', 'NotAllowedError'))).toMatch(/denied/);
    expect(cameraErrorMessage(new DOMException('x', 'NotFoundError'))).toMatch(/No camera was found/);
    expect(cameraErrorMessage(new DOMException('x', 'NotReadableError'))).toMatch(/busy/);
    expect(cameraErrorMessage(new Error('boom'))).toMatch(/could not start \(boom\)/);
  });
});
