/** @jest-environment jsdom */
import { act, fireEvent, render, screen } from '@testing-library/react';
import { ApiError } from '../api/http';
import { AddForm, TextForm } from './InlineForm';
import { Table } from './Table';

const submit = (name: string) =>
  act(async () => fireEvent.click(screen.getByRole('button', { name })));

describe('AddForm', () => {
  it('asks for a choice, then adds the chosen value and starts over', async () => {
    const add = jest.fn(async (_value: string) => undefined);
    const onAdded = jest.fn();
    render(
      <AddForm
        label="Add a member"
        required="Choose a user."
        submit="Add"
        options={[{ value: 'u1', label: 'ann' }]}
        add={add}
        onAdded={onAdded}
      />,
    );
    await submit('Add');
    expect(screen.getByLabelText('Add a member').getAttribute('aria-invalid')).toBe('true');
    expect(screen.getByText('Choose a user.')).toBeTruthy();
    expect(add).not.toHaveBeenCalled();

    fireEvent.change(screen.getByLabelText('Add a member'), { target: { value: 'u1' } });
    await submit('Add');
    expect(add).toHaveBeenCalledWith('u1');
    expect(onAdded).toHaveBeenCalledTimes(1);
    expect(screen.getByLabelText('Add a member')).toHaveProperty('value', '');
    expect(screen.queryByText('Choose a user.')).toBeNull();
  });
});

describe('TextForm', () => {
  it("adds the trimmed text and shows the broker's message about its field on the field", async () => {
    const add = jest
      .fn<Promise<unknown>, [string]>()
      .mockRejectedValueOnce(new ApiError(400, 'Bad Request', ['name must be shorter']))
      .mockResolvedValueOnce(undefined);
    render(
      <TextForm
        label="New group"
        required="Enter a group name."
        brokerField="name"
        submit="Create group"
        add={add}
        onAdded={() => undefined}
      />,
    );
    fireEvent.change(screen.getByLabelText('New group'), { target: { value: '  eng  ' } });
    await submit('Create group');
    expect(add).toHaveBeenLastCalledWith('eng');
    expect(screen.getByText('name must be shorter')).toBeTruthy();
    expect(screen.queryByRole('alert')).toBeNull();
    await submit('Create group');
    expect(screen.getByLabelText('New group')).toHaveProperty('value', '');
  });
});

describe('Table', () => {
  it('heads the columns and names the actions column for screen readers only', () => {
    render(
      <Table columns={['Pool', { label: 'Memory', className: 'num' }]} actions>
        <tr>
          <td>a</td>
        </tr>
      </Table>,
    );
    const heads = screen.getAllByRole('columnheader');
    expect(heads.map((h) => h.textContent)).toEqual(['Pool', 'Memory', 'Actions']);
    expect(heads[1].className).toBe('num');
    expect(heads[2].querySelector('.sr-only')).not.toBeNull();
    expect(document.querySelector('.card.table-card table')).not.toBeNull();
  });
});
