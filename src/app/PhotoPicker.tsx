import { useRef, useState } from 'preact/hooks';

export function PhotoPicker({ disabled, onFiles }: { disabled: boolean; onFiles: (files: File[]) => void }) {
  const [dragging, setDragging] = useState(false);
  const input = useRef<HTMLInputElement>(null);
  return (
    <div
      class={dragging ? 'dropzone dragging' : 'dropzone'}
      onDragOver={(e) => {
        e.preventDefault();
        setDragging(true);
      }}
      onDragLeave={() => setDragging(false)}
      onDrop={(e) => {
        e.preventDefault();
        setDragging(false);
        const files = [...(e.dataTransfer?.files ?? [])];
        if (files.length) onFiles(files);
      }}
    >
      <p class="dropzone-title">Drop a photo of furniture or clothing here</p>
      <label class="button primary">
        Choose a photo
        <input
          ref={input}
          class="visually-hidden"
          type="file"
          accept="image/*"
          data-testid="photo-input"
          disabled={disabled}
          onChange={(e) => {
            const files = [...(e.currentTarget.files ?? [])];
            e.currentTarget.value = '';
            if (files.length) onFiles(files);
          }}
        />
      </label>
      <p class="hint">Your photo stays on this device.</p>
    </div>
  );
}
